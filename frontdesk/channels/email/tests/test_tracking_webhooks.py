"""Tracking webhooks of SendGrid, Postmark, Brevo and Amazon SES (through SNS), each
in the provider's own wire format and checked the provider's way: delivered, bounced
and complained events update the reply; forged ones are refused and change nothing."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from frontdesk.channels.email.models import EmailChannelConfig, UndeliverableAddress
from frontdesk.channels.email.receive import receive_raw
from frontdesk.channels.email.tests.sns_peer import TOPIC, SnsPeer, headers_for
from frontdesk.inbox.actions.replies import deliver_message, send_reply
from frontdesk.inbox.models import Message

pytestmark = pytest.mark.django_db

AUTH = "hooks:9f8e7d6c5b4a"
GRACE = "grace@example.org"
DIAGNOSTIC = "550 5.1.1 The email account that you tried to reach does not exist"


def _basic(auth: str) -> str:
    return "Basic " + base64.b64encode(auth.encode()).decode()


@dataclass
class Post:
    body: str
    content_type: str = "application/json"
    headers: dict[str, str] | None = None


# --- SendGrid: Event Webhook, a JSON array; custom_args come back as top-level keys;
# the Signed Event Webhook signs timestamp + body with ECDSA P-256 / SHA-256.
SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())
SENDGRID_PUBLIC = base64.b64encode(
    SENDGRID_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()


def sendgrid(kind: str, message_id: str) -> dict:
    event = {
        "email": GRACE,
        "timestamp": int(time.time()),
        "smtp-id": message_id,
        "sg_event_id": base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="),
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "category": [],
        "frontdesk_message_id": message_id,
    }
    if kind == "delivered":
        event |= {"event": "delivered", "response": "250 2.0.0 OK 1764842400 q1si2ex.1"}
    elif kind == "bounced":
        event |= {
            "event": "bounce",
            "type": "bounce",
            "status": "5.1.1",
            "reason": DIAGNOSTIC,
            "bounce_classification": "Invalid Address",
        }
    else:
        event |= {"event": "spamreport"}
    return event


def sendgrid_post(kind: str, message_id: str, *, key=SENDGRID_KEY) -> Post:
    body = json.dumps([sendgrid(kind, message_id)])
    timestamp = str(int(time.time()))
    signature = key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))
    return Post(
        body,
        headers={
            "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": base64.b64encode(signature).decode(),
            "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": timestamp,
        },
    )


# --- Postmark: one JSON object per event, RecordType Delivery / Bounce / SpamComplaint,
# our metadata in "Metadata"; checked by HTTP basic auth in the webhook URL.
def postmark_post(kind: str, message_id: str, *, auth: str = AUTH) -> Post:
    common = {
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": str(uuid.uuid4()),
        "Tag": "",
        "Metadata": {"frontdesk_message_id": message_id},
    }
    if kind == "delivered":
        event = common | {
            "RecordType": "Delivery",
            "Recipient": GRACE,
            "DeliveredAt": "2026-12-04T10:00:00Z",
            "Details": "smtp;250 2.0.0 OK",
        }
    elif kind == "bounced":
        event = common | {
            "RecordType": "Bounce",
            "ID": 4323372036854775807,
            "Type": "HardBounce",
            "TypeCode": 1,
            "Name": "Hard bounce",
            "Description": "The server was unable to deliver your message (ex: unknown user, "
            "mailbox not found).",
            "Details": f"smtp;{DIAGNOSTIC}",
            "Email": GRACE,
            "From": "desk@riverside.example",
            "BouncedAt": "2026-12-04T10:00:00Z",
            "Inactive": True,
            "CanActivate": True,
            "Subject": "Re: Large-print books?",
        }
    else:
        event = common | {
            "RecordType": "SpamComplaint",
            "ID": 42,
            "Type": "SpamComplaint",
            "TypeCode": 512,
            "Email": GRACE,
            "BouncedAt": "2026-12-04T10:00:00Z",
        }
    return Post(json.dumps(event), headers={"HTTP_AUTHORIZATION": _basic(auth)})


# --- Brevo: transactional webhook, one JSON object; "message-id" is the Message-ID
# header, metadata in "X-Mailin-custom"; checked by HTTP basic auth.
def brevo_post(kind: str, message_id: str, *, auth: str = AUTH) -> Post:
    event = {
        "event": {"delivered": "delivered", "bounced": "hard_bounce"}.get(kind, "spam"),
        "email": GRACE,
        "id": 1234567,
        "date": "2026-12-04 11:00:00",
        "ts": 1764842400,
        "message-id": message_id,
        "ts_event": 1764842400,
        "subject": "Re: Large-print books?",
        "X-Mailin-custom": json.dumps({"frontdesk_message_id": message_id}),
        "sending_ip": "185.41.28.109",
        "ts_epoch": 1764842400123,
    }
    if kind == "bounced":
        event["reason"] = DIAGNOSTIC
    return Post(json.dumps(event), headers={"HTTP_AUTHORIZATION": _basic(auth)})


# --- Amazon SES: event publishing to an SNS topic; SNS posts a Notification (as
# text/plain) whose Message is the SES event; our metadata rides in X-Metadata;
# signed by SNS (the loopback stand-in's key) and, here, basic auth in the URL too.
SIGNING: dict[str, SnsPeer] = {}


@pytest.fixture(autouse=True)
def _sns_signs(sns):
    SIGNING["sns"] = sns


def ses_post(kind: str, message_id: str, *, auth: str = AUTH) -> Post:
    mail = {
        "timestamp": "2026-12-04T10:00:00.000Z",
        "source": "desk@riverside.example",
        "sendingAccountId": "123456789012",
        "messageId": "0100018c3d5e6f7a-12345678-aaaa-bbbb-cccc-123456789abc-000000",
        "destination": [GRACE],
        "headersTruncated": False,
        "headers": [
            {"name": "From", "value": "Maya Patel via Riverside <desk@riverside.example>"},
            {"name": "To", "value": GRACE},
            {"name": "Message-ID", "value": message_id},
            {"name": "X-Metadata", "value": json.dumps({"frontdesk_message_id": message_id})},
        ],
        "commonHeaders": {"from": ["desk@riverside.example"], "to": [GRACE]},
    }
    if kind == "delivered":
        ses = {
            "eventType": "Delivery",
            "mail": mail,
            "delivery": {
                "timestamp": "2026-12-04T10:00:01.000Z",
                "processingTimeMillis": 546,
                "recipients": [GRACE],
                "smtpResponse": "250 2.6.0 Message received",
                "reportingMTA": "a8-70.smtp-out.amazonses.com",
            },
        }
    elif kind == "bounced":
        ses = {
            "eventType": "Bounce",
            "mail": mail,
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {
                        "emailAddress": GRACE,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": f"smtp; {DIAGNOSTIC}",
                    }
                ],
                "timestamp": "2026-12-04T10:00:01.000Z",
                "feedbackId": "0100018c3d5e6f7a-feedback",
                "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
            },
        }
    else:
        ses = {
            "eventType": "Complaint",
            "mail": mail,
            "complaint": {
                "complainedRecipients": [{"emailAddress": GRACE}],
                "timestamp": "2026-12-04T10:05:00.000Z",
                "feedbackId": "0100018c3d5e6f7a-complaint",
                "complaintFeedbackType": "abuse",
                "userAgent": "Mozilla/5.0",
            },
        }
    envelope = SIGNING["sns"].notification(json.dumps(ses))
    return Post(
        json.dumps(envelope),
        content_type="text/plain; charset=UTF-8",
        headers={"HTTP_AUTHORIZATION": _basic(auth), **headers_for(envelope)},
    )


BUILDERS: dict[str, Callable[..., Post]] = {
    "sendgrid": sendgrid_post,
    "postmark": postmark_post,
    "brevo": brevo_post,
    "amazon_ses": ses_post,
}


def forged(provider: str, kind: str, message_id: str) -> list[Post]:
    """Requests a forger can make: a wrong secret, none, a signature by another key."""
    if provider == "sendgrid":
        other = ec.generate_private_key(ec.SECP256R1())
        unsigned = sendgrid_post(kind, message_id)
        unsigned.headers = {}
        tampered = sendgrid_post(kind, message_id)
        tampered.body = tampered.body.replace(GRACE, "mallory@example.org")
        return [sendgrid_post(kind, message_id, key=other), unsigned, tampered]
    wrong = BUILDERS[provider](kind, message_id, auth="hooks:guess")
    missing = BUILDERS[provider](kind, message_id)
    assert missing.headers is not None
    del missing.headers["HTTP_AUTHORIZATION"]
    return [wrong, missing]


@pytest.fixture
def sent_reply(email_channel, mail, run_intake, cast) -> Message:
    """Grace wrote; Maya's answer went out (through the loopback SMTP sink)."""
    first = run_intake(receive_raw(email_channel, mail(), via="smtpd").event_id)
    reply = deliver_message(send_reply(first.message.conversation, body="Yes", by=cast["agent"]).pk)
    assert reply is not None and reply.status == "sent" and reply.provider_message_id
    return reply


def _configure(config: EmailChannelConfig, provider: str) -> None:
    config.outbound_backend = provider
    if provider == "sendgrid":
        config.webhook_secret = ""
        config.tracking_verification_key = SENDGRID_PUBLIC
    else:
        config.webhook_secret = AUTH
    config.sns_topic_arns = TOPIC if provider == "amazon_ses" else ""
    config.save()


def _post(client, config: EmailChannelConfig, provider: str, post: Post):
    url = f"/hooks/email/{config.webhook_key}/{provider}/tracking/"
    return client.post(url, post.body, content_type=post.content_type, **(post.headers or {}))


@pytest.mark.parametrize("provider", list(BUILDERS))
def test_delivered_then_bounced_updates_the_reply_and_marks_the_address(
    client, config, sent_reply, provider
):
    _configure(config, provider)
    message_id = sent_reply.provider_message_id
    response = _post(client, config, provider, BUILDERS[provider]("delivered", message_id))
    assert response.status_code == 200, response.content
    sent_reply.refresh_from_db()
    assert sent_reply.status == "delivered"
    response = _post(client, config, provider, BUILDERS[provider]("bounced", message_id))
    assert response.status_code == 200, response.content
    sent_reply.refresh_from_db()
    assert sent_reply.status == "failed"
    assert "does not exist" in sent_reply.failure_reason
    marked = UndeliverableAddress.objects.get(workspace=config.workspace)
    assert marked.address == GRACE and "does not exist" in marked.reason


@pytest.mark.parametrize("provider", list(BUILDERS))
def test_a_complaint_records_the_email_opt_out(client, config, sent_reply, provider):
    _configure(config, provider)
    post = BUILDERS[provider]("complained", sent_reply.provider_message_id)
    assert _post(client, config, provider, post).status_code == 200
    contact = sent_reply.conversation.contact
    contact.refresh_from_db()
    assert contact.consent_for("email") == "revoked"
    sent_reply.refresh_from_db()
    assert sent_reply.status == "sent"  # a complaint is not a failed delivery


@pytest.mark.parametrize("provider", list(BUILDERS))
def test_forged_tracking_events_are_refused_and_change_nothing(
    client, config, sent_reply, provider
):
    _configure(config, provider)
    for post in forged(provider, "bounced", sent_reply.provider_message_id):
        status = _post(client, config, provider, post).status_code
        if provider == "amazon_ses" and "HTTP_AUTHORIZATION" not in (post.headers or {}):
            assert status == 401  # SNS's basic-auth challenge: then it sends user:password
        else:
            assert status == 403
    sent_reply.refresh_from_db()
    assert sent_reply.status == "sent"
    assert not UndeliverableAddress.objects.exists()


def test_a_soft_bounce_neither_fails_the_reply_nor_marks_the_address(client, config, sent_reply):
    _configure(config, "brevo")
    post = brevo_post("bounced", sent_reply.provider_message_id)
    post.body = post.body.replace('"hard_bounce"', '"soft_bounce"')
    assert _post(client, config, "brevo", post).status_code == 200
    sent_reply.refresh_from_db()
    assert sent_reply.status == "sent"
    assert not UndeliverableAddress.objects.exists()


def test_an_event_about_someone_elses_mail_changes_nothing(client, config, sent_reply, cast):
    _configure(config, "postmark")
    post = postmark_post("bounced", "<not-ours@elsewhere.example>")
    assert _post(client, config, "postmark", post).status_code == 200
    sent_reply.refresh_from_db()
    assert sent_reply.status == "sent"
    assert not UndeliverableAddress.objects.exists()


def test_sendgrid_with_basic_auth_and_a_signature_needs_both(client, config, sent_reply):
    _configure(config, "sendgrid")
    config.webhook_secret = AUTH
    config.save()
    signed = sendgrid_post("delivered", sent_reply.provider_message_id)
    assert _post(client, config, "sendgrid", signed).status_code == 403
    assert signed.headers is not None
    signed.headers["HTTP_AUTHORIZATION"] = _basic(AUTH)
    assert _post(client, config, "sendgrid", signed).status_code == 200
    sent_reply.refresh_from_db()
    assert sent_reply.status == "delivered"
