"""How a reply reaches a customer (issue 20, items 1 to 3): the composer offers the
ways the contact can be answered, sends by the one chosen, says so when none can,
and sends pictures on texts as MMS from a signed, expiring URL."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from frontdesk.core.actions.contacts import add_identity, create_contact, set_consent
from frontdesk.inbox import actions, media
from frontdesk.inbox.actions import InboxError
from frontdesk.inbox.models import Attachment, Conversation, Message

pytestmark = pytest.mark.django_db
pytest_plugins = ["frontdesk.channels.sms.tests.webhooks"]


def _pillow_png(size: tuple[int, int] = (1, 1)) -> bytes:
    """A real PNG as Pillow writes it: Frontdesk re-encodes every picture it keeps (to
    drop metadata), and a picture without any comes back as these very bytes."""
    buffer = io.BytesIO()
    Image.new("RGBA", size, (20, 120, 200, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _pillow_png()


@pytest.fixture
def phone_only(channel, riverside, receive):
    """A web-form patron who left only a phone number (the form's thank-you page
    promised an answer at that number)."""
    row = receive(channel, sender="ben@example.org", name="Ben Ortiz", body="Lost my card")
    conversation = Conversation.objects.get(messages__inbound_event=row)
    conversation.contact.identities.all().delete()
    add_identity(conversation.contact, kind="phone", value="+1 555-010-0142", by=None)
    return conversation


def page(client, conversation) -> str:
    return client.get(f"/w/riverside/inbox/{conversation.number}/").content.decode()


def test_the_composer_offers_a_text_to_a_phone_only_web_form_patron(
    cast, client_for, phone_only, make_sms_channel
):
    texts = make_sms_channel(name="Main number")
    body = page(client_for(cast["agent"]), phone_only)

    assert "To Ben Ortiz by text to +1 555-010-0142" in body
    assert "by contact form" not in body
    assert "Contact form can’t reach" not in body
    assert "Email through Contact form: no email address. This reply goes another way" in body
    select = body.split('name="channel"', 1)[1].split("</select>", 1)[0]
    assert re.search(rf'value="{texts.pk}" selected', select)
    assert re.search(r'value="\d+" disabled[^>]*>Email \(Contact form\) — no email address', select)
    assert "data-reply-blocked" not in body


def test_a_reply_goes_by_the_channel_chosen(
    cast, client_for, phone_only, make_sms_channel, twilio_api, django_capture_on_commit_callbacks
):
    texts = make_sms_channel(name="Main number")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast["agent"]).post(
            f"/w/riverside/inbox/{phone_only.number}/reply/",
            {"body": "Your new card is ready at the desk.", "mode": "reply", "channel": texts.pk},
        )
    assert response.status_code == 302
    reply = Message.objects.get(conversation=phone_only, kind="reply")
    assert (reply.channel_id, reply.status) == (texts.pk, "sent")
    [sent] = twilio_api.messages
    assert (sent.to, sent.body) == ("+15550100142", "Your new card is ready at the desk.")
    assert mail.outbox == []
    phone_only.refresh_from_db()
    assert (phone_only.waiting_since, phone_only.reply_failed_at) == (None, None)


def test_a_channel_of_another_workspace_is_not_a_way_to_reply(
    cast, client_for, phone_only, make_sms_channel, hillview
):
    theirs = make_sms_channel(workspace=hillview, name="Hillview texts")
    response = client_for(cast["agent"]).post(
        f"/w/riverside/inbox/{phone_only.number}/reply/",
        {"body": "Hi", "mode": "reply", "channel": theirs.pk},
    )
    assert response.status_code == 404
    with pytest.raises(InboxError):
        actions.send_reply(phone_only, body="Hi", by=cast["agent"], channel=theirs)
    assert not Message.objects.filter(kind="reply").exists()


def test_when_nothing_can_deliver_the_composer_says_so_and_send_is_off(
    cast, client_for, phone_only
):
    # Only the web form: it answers by email, and Ben left no email address.
    body = page(client_for(cast["agent"]), phone_only)
    assert 'data-reply-blocked="true"' in body
    assert "Ben Ortiz can’t be answered: Email through Contact form: no email address." in body
    assert "Ben Ortiz can’t be reached" in body


def test_after_an_opt_out_the_composer_says_so_and_send_is_off(
    cast, client_for, riverside, make_sms_channel, receive_sms
):
    texts = make_sms_channel()
    conversation = receive_sms(texts, "What time do you close?")
    set_consent(
        conversation.contact,
        topic="sms",
        status="revoked",
        source="SMS keyword STOP",
        by=None,
    )
    body = page(client_for(cast["agent"]), conversation)
    when = timezone.localdate().strftime("%-d %b %Y")
    assert 'data-reply-blocked="true"' in body
    assert f"texted STOP on {when}; texts won’t be sent." in body


def test_pictures_on_a_text_go_as_mms_from_a_signed_expiring_url(
    cast, client_for, make_sms_channel, receive_sms, twilio_api, django_capture_on_commit_callbacks
):
    texts = make_sms_channel()
    conversation = receive_sms(texts, "Which form do I need?")
    photo = SimpleUploadedFile("form.png", PNG, content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.send_reply(
            conversation, body="This one:", by=cast["agent"], attachments=[photo]
        )
    reply.refresh_from_db()
    assert reply.status == "sent"
    [sent] = twilio_api.messages
    [url] = sent.form["MediaUrl"]
    assert sent.body.startswith("This one:")

    # The provider fetches it without signing in; the URL names no file.
    anonymous = Client()
    path = url.split("://", 1)[1].split("/", 1)[1]
    fetched = anonymous.get("/" + path)
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content) == PNG
    assert "form.png" not in url

    # Forged, expired, or a customer's own file: nothing.
    attachment = reply.attachments.get()
    assert anonymous.get("/" + path[:-2] + "xx").status_code == 404
    customer_file = Attachment.objects.create(
        workspace_id=attachment.workspace_id,
        message=conversation.messages.filter(kind="incoming").first(),
        filename="theirs.png",
        content_type="image/png",
        file=attachment.file.name,
    )
    token = signing.dumps(customer_file.pk, salt=media.SALT)
    assert anonymous.get(f"/m/{token}").status_code == 404
    later = timezone.now() + timedelta(seconds=media.MEDIA_URL_MAX_AGE + 60)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: later.timestamp())
        assert anonymous.get("/" + path).status_code == 404


def test_files_a_text_cannot_carry_are_refused_before_sending(
    cast, client_for, make_sms_channel, receive_sms, twilio_api
):
    texts = make_sms_channel()
    conversation = receive_sms(texts, "Can you send the minutes?")
    body = page(client_for(cast["agent"]), conversation)
    assert "Pictures go as a picture message; other files can’t be sent by text." in body
    pdf = SimpleUploadedFile("minutes.pdf", b"%PDF-1.4", content_type="application/pdf")
    with pytest.raises(InboxError, match="Only pictures"):
        actions.send_reply(conversation, body="Here", by=cast["agent"], attachments=[pdf])
    assert not Message.objects.filter(kind="reply").exists()
    assert twilio_api.messages == []


def test_an_adapter_never_reports_a_picture_it_could_not_send(cast, make_sms_channel, twilio_api):
    from frontdesk.channels.sms.accounts import account_for
    from frontdesk.connectors.base import ConnectorError, OutboundAttachment, OutboundMessage
    from frontdesk.connectors.sms.adapter import SmsConnector

    channel = make_sms_channel()
    message = OutboundMessage(
        to_address="+15550100142",
        body="See attached",
        attachments=(OutboundAttachment("a.png", "image/png", PNG, url=None),),
    )
    with pytest.raises(ConnectorError) as refused:
        SmsConnector().send(account_for(channel), message)
    assert refused.value.permanent and refused.value.code == "attachment_unsupported"
    assert twilio_api.messages == []


def test_contacts_without_a_name_keep_their_address_in_the_route(cast, riverside, channel):
    contact = create_contact(riverside, identities=[("email", "x@example.org")], by=None)
    from frontdesk.inbox.actions import start_conversation
    from frontdesk.inbox.reach import chosen_route, reply_routes

    conversation = start_conversation(riverside, contact=contact, channel=channel)
    routes = reply_routes(conversation)
    route = chosen_route(routes, conversation)
    assert route is not None and route.hint == "by email to x@example.org"


def test_staff_write_first_by_text_from_the_contact_page(
    cast,
    client_for,
    riverside,
    channel,
    make_sms_channel,
    twilio_api,
    django_capture_on_commit_callbacks,
):
    texts = make_sms_channel(name="Main number")
    contact = create_contact(
        riverside, name="Ben Ortiz", identities=[("phone", "+1 555-010-0142")], by=None
    )
    client = client_for(cast["agent"])
    page = client.get(f"/w/riverside/contacts/{contact.pk}/").content.decode()
    write_url = f"/w/riverside/inbox/contacts/{contact.pk}/write/"
    assert f'hx-get="{write_url}"' in page

    form = client.get(write_url, HTTP_HX_REQUEST="true").content.decode()
    assert "Text +1 555-010-0142" in form
    assert "Email" not in form.split("<textarea", 1)[0]  # no email address: no email option

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(write_url, {"channel": texts.pk, "body": "Your hold is in."})
    conversation = Conversation.objects.get(contact=contact)
    assert response.status_code == 302
    assert response["Location"] == f"/w/riverside/inbox/{conversation.number}/"
    assert conversation.channel == texts
    [sent] = twilio_api.messages
    assert (sent.to, sent.body) == ("+15550100142", "Your hold is in.")

    # By email, to a contact without an email address: refused, nothing stored.
    refused = client.post(
        write_url, {"channel": channel.pk, "body": "Hello"}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 400  # the refusal middleware: a toast with the reason
    assert "has no address" in refused.content.decode()
    assert Conversation.objects.filter(contact=contact).count() == 1
