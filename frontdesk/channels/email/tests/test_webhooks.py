"""Provider webhooks, signed (or not) the way each provider signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from frontdesk.channels.email.receive import receive_raw
from frontdesk.channels.email.tests.conftest import write_mail
from frontdesk.channels.email.tests.sns_peer import TOPIC, headers_for
from frontdesk.inbox.actions.replies import deliver_message, send_reply
from frontdesk.inbox.models import InboundEvent, Message

pytestmark = pytest.mark.django_db

MAILGUN_KEY = "key-mailgun-signing-0123456789"
POSTMARK_AUTH = "postmark:s3cret-pass"


@pytest.fixture
def mailgun(config):
    config.inbound_provider = "mailgun"
    config.webhook_secret = MAILGUN_KEY
    config.save()
    return config


@pytest.fixture
def postmark(config):
    config.inbound_provider = "postmark"
    config.webhook_secret = POSTMARK_AUTH
    config.save()
    return config


def mailgun_signature(key: str, timestamp: str, token: str) -> str:
    return hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def mailgun_form(raw: bytes, *, key: str = MAILGUN_KEY, token: str = "a" * 50) -> dict:
    timestamp = str(int(time.time()))
    return {
        "recipient": "desk@riverside.example",
        "sender": "grace@example.org",
        "body-mime": raw.decode(),
        "timestamp": timestamp,
        "token": token,
        "signature": mailgun_signature(key, timestamp, token),
    }


def test_a_signed_mailgun_inbound_mail_is_stored_and_a_retry_stored_once(client, mailgun):
    url = f"/hooks/email/{mailgun.webhook_key}/mailgun/inbound/"
    form = mailgun_form(write_mail(message_id="<mg-1@example.org>", subject="Via Mailgun"))
    first = client.post(url, form)
    assert first.status_code == 200, first.content
    retry = client.post(url, form)
    assert retry.status_code == 200
    event = InboundEvent.objects.get()
    assert event.subject == "Via Mailgun" and event.email_raw.via == "mailgun"
    assert event.email_raw.envelope_recipients == ["desk@riverside.example"]


def test_a_forged_mailgun_request_is_refused_and_nothing_is_stored(client, mailgun):
    url = f"/hooks/email/{mailgun.webhook_key}/mailgun/inbound/"
    forged = mailgun_form(write_mail(), key="not-the-key")
    assert client.post(url, forged).status_code == 403
    unsigned = mailgun_form(write_mail())
    del unsigned["signature"]
    assert client.post(url, unsigned).status_code == 403
    assert not InboundEvent.objects.exists()


def test_an_unknown_webhook_key_or_provider_is_404(client, mailgun):
    form = mailgun_form(write_mail())
    assert client.post("/hooks/email/nope/mailgun/inbound/", form).status_code == 404
    assert client.post(f"/hooks/email/{mailgun.webhook_key}/nope/inbound/", form).status_code == 404


def postmark_payload(message_id: str) -> dict:
    return {
        "FromFull": {"Email": "grace@example.org", "Name": "Grace Hopper"},
        "ToFull": [{"Email": "desk@riverside.example", "Name": ""}],
        "Subject": "Via Postmark",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "Date": "Fri, 4 Dec 2026 10:00:00 +0000",
        "TextBody": "Do you lend telescopes?",
        "Headers": [{"Name": "Message-ID", "Value": message_id}],
        "OriginalRecipient": "desk@riverside.example",
    }


def _basic(auth: str) -> str:
    return "Basic " + base64.b64encode(auth.encode()).decode()


def test_postmark_inbound_needs_its_basic_auth(client, postmark, run_intake):
    url = f"/hooks/email/{postmark.webhook_key}/postmark/inbound/"
    body = json.dumps(postmark_payload("<pm-1@example.org>"))
    wrong = client.post(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=_basic("postmark:guess")
    )
    assert wrong.status_code == 403
    none = client.post(url, body, content_type="application/json")
    assert none.status_code == 403
    assert not InboundEvent.objects.exists()
    ok = client.post(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=_basic(POSTMARK_AUTH)
    )
    assert ok.status_code == 200
    again = client.post(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=_basic(POSTMARK_AUTH)
    )
    assert again.status_code == 200
    event = InboundEvent.objects.get()
    assert run_intake(event.pk).message.body == "Do you lend telescopes?"


def test_a_channel_without_a_secret_refuses_webhooks(client, config):
    url = f"/hooks/email/{config.webhook_key}/postmark/inbound/"
    body = json.dumps(postmark_payload("<pm-2@example.org>"))
    assert client.post(url, body, content_type="application/json").status_code == 403


def _mailgun_event(event: str, message_id: str, **extra) -> dict:
    token = "t" * 50
    timestamp = str(int(time.time()))
    return {
        "signature": {
            "timestamp": timestamp,
            "token": token,
            "signature": mailgun_signature(MAILGUN_KEY, timestamp, token),
        },
        "event-data": {
            "event": event,
            "timestamp": time.time(),
            "recipient": "grace@example.org",
            "message": {"headers": {"message-id": message_id.strip("<>")}},
            **extra,
        },
    }


def test_tracking_events_update_the_reply(client, mailgun, mail, run_intake, cast):
    first = run_intake(receive_raw(mailgun.channel, mail(), via="smtpd").event_id)
    reply = deliver_message(send_reply(first.message.conversation, body="Yes", by=cast["agent"]).pk)
    url = f"/hooks/email/{mailgun.webhook_key}/mailgun/tracking/"
    delivered = _mailgun_event("delivered", reply.provider_message_id)
    assert (
        client.post(url, json.dumps(delivered), content_type="application/json").status_code == 200
    )
    reply.refresh_from_db()
    assert reply.status == "delivered"
    forged = _mailgun_event("failed", reply.provider_message_id, severity="permanent")
    forged["signature"]["signature"] = "0" * 64
    assert client.post(url, json.dumps(forged), content_type="application/json").status_code == 403
    failed = _mailgun_event(
        "failed",
        reply.provider_message_id,
        severity="permanent",
        **{"delivery-status": {"message": "550 5.1.1 mailbox unavailable", "description": ""}},
    )
    assert client.post(url, json.dumps(failed), content_type="application/json").status_code == 200
    reply = Message.objects.get(pk=reply.pk)
    assert reply.status == "failed" and "mailbox unavailable" in reply.failure_reason


def _sns_inbound(sns, raw: bytes) -> tuple[str, dict]:
    ses_event = {
        "notificationType": "Received",
        "mail": {
            "source": "grace@example.org",
            "messageId": "ses-1",
            "timestamp": "2026-12-04T10:00:00Z",
        },
        "receipt": {
            "recipients": ["desk@riverside.example"],
            "action": {"type": "SNS", "encoding": "BASE64", "topicArn": TOPIC},
        },
        "content": base64.b64encode(raw).decode(),
    }
    envelope = sns.notification(json.dumps(ses_event), subject="Amazon SES Email Receipt")
    return json.dumps(envelope), headers_for(envelope)


def test_amazon_ses_inbound_through_sns_needs_basic_auth(client, config, sns):
    config.inbound_provider = "amazon_ses"
    config.webhook_secret = "aws:sns-pass"
    config.sns_topic_arns = TOPIC
    config.save()
    url = f"/hooks/email/{config.webhook_key}/amazon_ses/inbound/"
    body, headers = _sns_inbound(sns, write_mail(subject="Via SES", message_id="<ses@e.org>"))
    challenged = client.post(url, body, content_type="text/plain", **headers)
    assert challenged.status_code == 401 and challenged["WWW-Authenticate"].startswith("Basic")
    refused = client.post(
        url, body, content_type="text/plain", HTTP_AUTHORIZATION=_basic("aws:no"), **headers
    )
    assert refused.status_code == 403
    assert not InboundEvent.objects.exists()
    ok = client.post(
        url, body, content_type="text/plain", HTTP_AUTHORIZATION=_basic("aws:sns-pass"), **headers
    )
    assert ok.status_code == 200, ok.content
    event = InboundEvent.objects.get()
    assert event.subject == "Via SES"
    assert event.email_raw.envelope_recipients == ["desk@riverside.example"]


def test_a_spam_complaint_records_the_email_opt_out(client, mailgun, mail, run_intake, cast):
    first = run_intake(receive_raw(mailgun.channel, mail(), via="smtpd").event_id)
    conversation = first.message.conversation
    reply = deliver_message(send_reply(conversation, body="Yes", by=cast["agent"]).pk)
    url = f"/hooks/email/{mailgun.webhook_key}/mailgun/tracking/"
    complaint = _mailgun_event("complained", reply.provider_message_id)
    assert (
        client.post(url, json.dumps(complaint), content_type="application/json").status_code == 200
    )
    contact = conversation.contact
    contact.refresh_from_db()
    assert contact.consent_for("email") == "revoked"
