"""A new channel kind is one folder and one INSTALLED_APPS line.

Installs the throwaway `tests/pigeon_channel` app and sees everything that derives
from the installed kinds pick it up: its webhook and setup URLs, the channel list's
"add" tile, the Channel.kind choices and the adapter lookup.
"""

from __future__ import annotations

import importlib

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import clear_url_caches, reverse

from frontdesk.inbox import kinds
from frontdesk.inbox.models import Channel


def _reload_urls() -> None:
    import frontdesk.channels.urls
    import frontdesk.urls

    importlib.reload(frontdesk.channels.urls)
    importlib.reload(frontdesk.urls)
    clear_url_caches()


@pytest.fixture
def pigeon_installed(settings):
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.pigeon_channel"]):
        _reload_urls()
        yield
    _reload_urls()


def test_an_installed_channel_app_brings_its_kind_urls_and_setup_page(
    pigeon_installed, cast, client_for, riverside
):
    assert kinds.get("pigeon").label == "Carrier pigeon"
    assert ("pigeon", "Carrier pigeon") in kinds.kind_choices()
    assert kinds.get_connector("pigeon").reply_identity_kind == "email"

    assert reverse("pigeon:inbound", kwargs={"key": "k1"}) == "/hooks/pigeon/k1/"
    client = client_for(cast["admin"])
    assert client.post("/hooks/pigeon/k1/").content == b"coo k1"

    setup = reverse("channels:pigeon-create", kwargs={"ws": riverside.slug})
    assert setup == "/w/riverside/settings/channels/pigeon/new/"
    page = client.get(reverse("channels:list", kwargs={"ws": riverside.slug})).content.decode()
    assert "Add a pigeon loft" in page and setup in page
    assert client.get(setup).content == b"Name your loft"

    Channel(workspace=riverside, kind="pigeon", name="Rooftop loft").full_clean()


def test_without_the_app_the_kind_is_unknown(riverside):
    with pytest.raises(kinds.UnknownChannelKind):
        kinds.get("pigeon")
    with pytest.raises(ValidationError):
        Channel(workspace=riverside, kind="pigeon", name="Rooftop loft").full_clean()
