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
    "max_message_mb": "25",
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


def test_an_empty_form_says_what_is_missing_and_saves_nothing(client, cast):
    client.force_login(cast["admin"].user)
    response = client.post("/w/riverside/settings/channels/email/new/", {})
    assert response.status_code == 400
    html = response.content.decode()
    assert "data-form-errors" in html and "Not saved: check the" in html
    # Each missing field carries its own message, tied to it for screen readers.
    for name in ("name", "address"):
        assert f'id="id_{name}_error"' in html
    assert html.count("This field is required.") >= 2
    assert not EmailChannelConfig.objects.exists()


def test_the_page_speaks_people_s_words_and_units(client, cast, config):
    client.force_login(cast["admin"].user)
    html = client.get(f"/w/riverside/settings/channels/email/{config.channel_id}/").content.decode()
    for label in ("SMTP server", "SMTP port", "Provider API key", "Largest message (MB)"):
        assert f">{label}" in html
    for raw in ("Smtp host", "Api key", "Max message bytes", "26214400"):
        assert raw not in html
    assert 'name="max_message_mb"' in html and 'value="25"' in html
    # SMTP fields belong to the SMTP choice, the API key to the providers'.
    assert 'data-show-when="outbound_backend" data-show-values="smtp" data-smtp-fields' in html
    # IMAP mailboxes are one click away from the side panel.
    assert "Mailboxes read by IMAP" in html
    assert f"/w/riverside/settings/channels/email/imap/channel/{config.channel_id}/" in html


def test_the_size_limit_is_saved_in_megabytes(client, cast, config):
    client.force_login(cast["admin"].user)
    url = f"/w/riverside/settings/channels/email/{config.channel_id}/"
    response = client.post(url, {**NEW, "address": config.address, "max_message_mb": "10"})
    assert response.status_code == 302
    config.refresh_from_db()
    assert config.max_message_bytes == 10 * 1024 * 1024


def test_amazon_sns_topics_are_saved_one_per_line_and_checked(client, cast, config):
    client.force_login(cast["admin"].user)
    url = f"/w/riverside/settings/channels/email/{config.channel_id}/"
    form = {**NEW, "address": config.address, "inbound_provider": "amazon_ses"}
    topic = "arn:aws:sns:eu-west-1:123456789012:library-mail"
    wrong = client.post(url, {**form, "sns_topic_arns": f"{topic}\nhttps://sns.example/t"})
    assert wrong.status_code == 400 and b"is not an SNS topic ARN" in wrong.content
    config.refresh_from_db()
    assert config.sns_topic_arns == ""
    saved = client.post(url, {**form, "sns_topic_arns": f" {topic} \n\n{topic}\n"})
    assert saved.status_code == 302
    config.refresh_from_db()
    assert config.sns_topics() == [topic]
    assert b"Amazon SNS topics" in client.get(url).content
