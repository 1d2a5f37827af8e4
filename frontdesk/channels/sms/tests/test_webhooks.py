"""The SMS webhooks over real HTTP, with requests signed by the twilio package's validator."""

from __future__ import annotations

import io
import logging

import httpx
import pytest
from django.urls import reverse
from PIL import Image

from frontdesk.channels.sms.tests.phone import CUSTOMER, SmsHooks
from frontdesk.core.models import Contact, ContactIdentity
from frontdesk.demo.twilio.standin import post_signed, sign
from frontdesk.inbox.actions import send_reply
from frontdesk.inbox.models import (
    Attachment,
    Channel,
    Conversation,
    DeliveryStatus,
    InboundEvent,
    Message,
)


# A 1x1 PNG: what a phone's picture message carries, small.
def _pillow_png(size: tuple[int, int] = (1, 1)) -> bytes:
    """A real PNG as Pillow writes it: Frontdesk re-encodes every picture it keeps (to
    drop metadata), and a picture without any comes back as these very bytes."""
    buffer = io.BytesIO()
    Image.new("RGBA", size, (20, 120, 200, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _pillow_png()

# Fixtures: sms_hooks (webhooks on the live server), receive_sms (intake at a set time).
pytest_plugins = ["frontdesk.channels.sms.tests.webhooks"]


def _nothing_stored() -> None:
    assert InboundEvent.objects.count() == 0
    assert Message.objects.count() == 0
    assert Contact.objects.count() == 0


def test_a_signed_text_is_stored_and_answered_with_empty_twiml(sms_hooks: SmsHooks):
    response = sms_hooks.text("Do you have the new Octavia Butler?")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert b"<Response></Response>" in response.content
    message = Message.objects.get()
    assert message.body == "Do you have the new Octavia Butler?"
    assert message.conversation.channel == sms_hooks.channel
    identity = ContactIdentity.objects.get(contact=message.conversation.contact)
    assert (identity.kind, identity.value) == ("phone", CUSTOMER)


def test_a_replayed_message_sid_is_stored_once(sms_hooks: SmsHooks):
    form = sms_hooks.form("Is the makerspace open tonight?")
    statuses = [sms_hooks.post(form).status_code for _ in range(20)]
    assert statuses == [200] * 20
    assert InboundEvent.objects.count() == 1
    assert Message.objects.filter(provider_message_id=form["MessageSid"]).count() == 1
    assert Message.objects.count() == 1


def test_forged_and_unsigned_texts_are_refused_and_nothing_is_stored(sms_hooks: SmsHooks, caplog):
    form = sms_hooks.form("Your account is locked, click here")
    caplog.set_level(logging.WARNING, logger="frontdesk.channels.sms.webhooks")
    wrong_token = sms_hooks.post(form, token="0" * 32)
    unsigned = httpx.post(sms_hooks.inbound_url, data=form)
    signed_then_changed = httpx.post(
        sms_hooks.inbound_url,
        data={**form, "Body": "something else"},
        headers={
            "X-Twilio-Signature": sign(sms_hooks.inbound_url, form, sms_hooks.config.auth_token)
        },
    )
    for response in (wrong_token, unsigned, signed_then_changed):
        assert response.status_code == 403
        assert "Signature check failed" in response.text
    _nothing_stored()
    assert sum("bad signature" in r.getMessage() for r in caplog.records) == 3


def test_the_signature_is_checked_against_the_public_url_behind_a_proxy(
    sms_hooks: SmsHooks, settings
):
    settings.PUBLIC_BASE_URL = "https://texts.riverside.example"
    public = "https://texts.riverside.example" + reverse(
        "sms:inbound", kwargs={"key": sms_hooks.config.webhook_key}
    )
    signed_for_loopback = sms_hooks.post(sms_hooks.form("first"))
    assert signed_for_loopback.status_code == 403
    assert sms_hooks.post(sms_hooks.form("second"), signed_url=public).status_code == 200
    assert list(Message.objects.values_list("body", flat=True)) == ["second"]


def test_a_text_to_a_pooled_number_of_a_messaging_service_is_accepted(
    live_server, settings, make_sms_channel, twilio_api
):
    settings.PUBLIC_BASE_URL = live_server.url
    channel = make_sms_channel(pool=("+15017122661", "+15017122662", "+15017122663"))
    hooks = SmsHooks(standin=twilio_api, base_url=live_server.url, channel=channel)
    config = hooks.config
    form = hooks.form(
        "Hi from the pool", to="+15017122663", messaging_service_sid=config.messaging_service_sid
    )
    assert form["To"] != config.phone_number
    response = hooks.post(form)
    assert response.status_code == 200
    assert Message.objects.get().body == "Hi from the pool"


def test_unknown_key_is_404_and_only_post_is_allowed(sms_hooks: SmsHooks):
    form = sms_hooks.form("hello")
    unknown = sms_hooks.base_url + reverse("sms:inbound", kwargs={"key": "no-such-key"})
    assert post_signed(unknown, form, sms_hooks.config.auth_token).status_code == 404
    got = httpx.get(sms_hooks.inbound_url)
    assert got.status_code == 405
    assert "POST" in got.headers["allow"]
    _nothing_stored()


def test_a_switched_off_channel_answers_410_and_stores_nothing(sms_hooks: SmsHooks):
    Channel.objects.filter(pk=sms_hooks.channel.pk).update(is_active=False)
    response = sms_hooks.text("Anyone there?")
    assert response.status_code == 410
    assert "switched off" in response.text
    _nothing_stored()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"From": ""}, "no From number"),
        ({"MessageSid": "", "SmsMessageSid": ""}, "no MessageSid"),
        ({"NumMedia": "3"}, "MediaUrl0 is missing"),
        ({"NumMedia": "lots"}, "NumMedia is not a number"),
    ],
)
def test_a_signed_text_missing_fields_is_400_with_a_reason(sms_hooks: SmsHooks, change, expected):
    form = {**sms_hooks.form("hello"), **change}
    response = sms_hooks.post(form)
    assert response.status_code == 400
    assert expected in response.text
    _nothing_stored()


def test_huge_non_utf8_or_non_form_bodies_are_400(sms_hooks: SmsHooks):
    form = sms_hooks.form("x" * 70_000)
    huge = sms_hooks.post(form)
    assert huge.status_code == 400
    assert "too large" in huge.text
    latin1 = httpx.post(
        sms_hooks.inbound_url,
        content=b"Body=caf%E9&From=%2B15558675310",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
    )
    assert latin1.status_code == 400
    assert "UTF-8" in latin1.text
    as_json = httpx.post(sms_hooks.inbound_url, json={"Body": "hi"})
    assert as_json.status_code == 400
    assert "Expected a form" in as_json.text
    _nothing_stored()
    # A valid text right after is stored: bad input loses nothing that was good.
    assert sms_hooks.text("still here").status_code == 200
    assert Message.objects.get().body == "still here"


def test_a_picture_message_is_fetched_and_shown_in_the_conversation(
    sms_hooks: SmsHooks, client_for, cast
):
    response = sms_hooks.text("Is this book yours?", media=[("image/png", PNG)])
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert not attachment.pending_fetch
    assert attachment.content_type == "image/png"
    with attachment.file.open("rb") as handle:
        assert handle.read() == PNG
    conversation = Conversation.objects.get()
    client = client_for(cast["agent"])
    page = client.get(
        reverse("inbox:conversation", kwargs={"ws": "riverside", "number": conversation.number})
    )
    src = reverse("inbox:attachment", kwargs={"ws": "riverside", "pk": attachment.pk})
    assert f'<img src="{src}"' in page.content.decode()
    served = client.get(src)
    assert b"".join(served.streaming_content if served.streaming else [served.content]) == PNG


def _staff_reply(hooks: SmsHooks, cast, body: str) -> Message:
    hooks.text("Can you renew my books?")
    conversation = Conversation.objects.get()
    reply = send_reply(conversation, body=body, by=cast["agent"])
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT, reply.failure_reason
    return reply


def test_status_callbacks_mark_a_reply_delivered(sms_hooks: SmsHooks, cast):
    reply = _staff_reply(sms_hooks, cast, "Renewed until the 30th!")
    sent = sms_hooks.standin.sent_to(CUSTOMER)
    assert [m.body for m in sent] == ["Renewed until the 30th!"]
    assert sent[0].status_callback == sms_hooks.status_url
    response = sms_hooks.standin.deliver_status_callback(reply.provider_message_id, "delivered")
    assert response.status_code == 200
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.DELIVERED
    assert reply.delivered_at is not None


# Long enough for three numbered parts (Twilio takes 1,600 characters a message).
LONG_REPLY = " ".join(["Your interlibrary loan request is on its way."] * 80)


def test_a_reply_in_parts_is_delivered_once_every_part_is(sms_hooks: SmsHooks, cast):
    reply = _staff_reply(sms_hooks, cast, LONG_REPLY)
    sids = [m.sid for m in sms_hooks.standin.sent_to(CUSTOMER)]
    assert len(sids) == 3
    assert reply.provider_message_id == sids[0]
    assert list(reply.parts.values_list("number", "provider_message_id")) == [
        (1, sids[0]),
        (2, sids[1]),
        (3, sids[2]),
    ]
    for sid in (sids[2], sids[0]):  # reports arrive in any order
        assert sms_hooks.standin.deliver_status_callback(sid, "delivered").status_code == 200
        reply.refresh_from_db()
        assert reply.status == DeliveryStatus.SENT
    assert sms_hooks.standin.deliver_status_callback(sids[1], "delivered").status_code == 200
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.DELIVERED


def test_a_reply_fails_when_one_of_its_parts_is_undelivered(sms_hooks: SmsHooks, cast):
    reply = _staff_reply(sms_hooks, cast, LONG_REPLY)
    sids = [m.sid for m in sms_hooks.standin.sent_to(CUSTOMER)]
    sms_hooks.standin.deliver_status_callback(sids[0], "delivered")
    sms_hooks.standin.deliver_status_callback(sids[1], "undelivered", 30007)
    reply.refresh_from_db()
    assert (reply.status, reply.failure_code) == (DeliveryStatus.FAILED, "30007")
    assert reply.failure_reason.startswith("Part 2 of 3 was not delivered: ")
    assert "(error 30007)" in reply.failure_reason
    # A later "delivered" for the remaining part does not hide the failure.
    sms_hooks.standin.deliver_status_callback(sids[2], "delivered")
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.FAILED


def test_an_undelivered_reply_shows_the_carrier_error_code(sms_hooks: SmsHooks, cast, client_for):
    reply = _staff_reply(sms_hooks, cast, "Your hold is in")
    response = sms_hooks.standin.deliver_status_callback(
        reply.provider_message_id, "undelivered", 30007
    )
    assert response.status_code == 200
    reply.refresh_from_db()
    assert (reply.status, reply.failure_code) == (DeliveryStatus.FAILED, "30007")
    assert "filtered" in reply.failure_reason
    assert "(error 30007)" in reply.failure_reason
    page = client_for(cast["agent"]).get(
        reverse(
            "inbox:conversation", kwargs={"ws": "riverside", "number": reply.conversation.number}
        )
    )
    assert "error 30007" in page.content.decode()


def test_a_forged_status_callback_changes_nothing(sms_hooks: SmsHooks, cast):
    reply = _staff_reply(sms_hooks, cast, "See you Saturday")
    url, form = sms_hooks.standin.status_callback(reply.provider_message_id, "failed", 30003)
    assert post_signed(url, form, "f" * 32).status_code == 403
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT
