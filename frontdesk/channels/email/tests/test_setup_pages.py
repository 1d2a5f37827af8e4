"""Settings → Channels → email: add, show, edit; only channel managers change things."""

from __future__ import annotations

import pytest

from frontdesk.channels.email.models import EmailChannelConfig
from frontdesk.inbox.models import Channel

pytestmark = pytest.mark.django_db

NEW = {
    "name": "Front desk email",
    "address": "Desk@Riverside.example",
    "display_name": "Riverside Library",
    "plus_addressing": "on",
    "inbound_provider": "smtpd",
    "outbound_backend": "default",
    "smtp_port": "587",
    "max_message_bytes": "26214400",
    "auto_ack_text": "Thanks for writing to {workspace}.",
}


def test_an_admin_adds_an_email_channel_and_sees_where_to_point_mail(client, cast):
    client.force_login(cast["admin"].user)
    tiles = client.get("/w/riverside/settings/channels/")
    assert b"Add an email address" in tiles.content
    response = client.post("/w/riverside/settings/channels/email/new/", NEW)
    assert response.status_code == 302, response.content.decode()[:2000]
    config = EmailChannelConfig.objects.get()
    assert config.address == "desk@riverside.example"
    assert config.channel.kind == "email" and config.channel.name == "Front desk email"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f"/hooks/email/{config.webhook_key}/mailgun/inbound/".encode() in page.content
    assert b"frontdesk smtpd" in page.content
    listing = client.get("/w/riverside/settings/channels/")
    assert b"desk@riverside.example" in listing.content


def test_an_address_is_taken_once_and_a_plus_address_is_refused(client, cast, email_channel):
    client.force_login(cast["admin"].user)
    taken = client.post(
        "/w/riverside/settings/channels/email/new/", {**NEW, "address": "desk@riverside.example"}
    )
    assert taken.status_code == 400 and b"already receives" in taken.content
    plus = client.post(
        "/w/riverside/settings/channels/email/new/", {**NEW, "address": "a+b@riverside.example"}
    )
    assert plus.status_code == 400
    assert Channel.objects.filter(kind="email").count() == 1


def test_editing_keeps_secrets_left_empty(client, cast, config):
    config.webhook_secret = "keep-me"
    config.save()
    client.force_login(cast["admin"].user)
    url = f"/w/riverside/settings/channels/email/{config.channel_id}/"
    response = client.post(
        url, {**NEW, "address": config.address, "auto_acknowledge": "on", "webhook_secret": ""}
    )
    assert response.status_code == 302
    config.refresh_from_db()
    assert config.webhook_secret == "keep-me" and config.display_name == "Riverside Library"
    assert config.channel.auto_acknowledge


def test_an_agent_cannot_add_or_change_email_channels(client, cast, config):
    client.force_login(cast["agent"].user)
    assert client.post("/w/riverside/settings/channels/email/new/", NEW).status_code == 403
    url = f"/w/riverside/settings/channels/email/{config.channel_id}/"
    assert client.get(url).status_code == 200
    assert client.post(url, {**NEW, "display_name": "Hacked"}).status_code == 403
    config.refresh_from_db()
    assert config.display_name == ""
