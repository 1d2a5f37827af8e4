"""The installed channel kinds: declared once by each channel app, found by kind."""

from __future__ import annotations

import pytest

from frontdesk.connectors.base import Connector
from frontdesk.connectors.webform.adapter import WebFormConnector
from frontdesk.inbox.kinds import (
    UnknownChannelKind,
    get_connector,
    installed,
    kind_choices,
)


def test_the_web_form_is_a_registered_channel_kind():
    assert installed()["webform"].adapter is WebFormConnector
    assert ("webform", "Web form") in kind_choices()
    assert isinstance(get_connector("webform"), WebFormConnector)


def test_an_unknown_kind_is_a_clear_error():
    with pytest.raises(UnknownChannelKind):
        get_connector("pigeon")


def test_every_registered_adapter_declares_what_it_is():
    for kind, descriptor in installed().items():
        cls = descriptor.adapter
        assert issubclass(cls, Connector)
        assert cls.kind == kind
        assert cls.label and cls.reply_identity_kind
        assert cls.sign_off in ("signature", "short", "none")


def test_optional_capabilities_are_known_per_adapter():
    assert WebFormConnector.can("send")
    assert not WebFormConnector.can("parse_inbound")
    assert not WebFormConnector.can("fetch_attachment")
    assert not WebFormConnector.can("poll")
    with pytest.raises(ValueError):
        WebFormConnector.can("teleport")
