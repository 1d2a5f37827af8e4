"""The public contact form: from a customer's submission to a conversation in the inbox."""

from __future__ import annotations

import io
from datetime import timedelta
from email.utils import parseaddr

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from frontdesk.channels.webform.forms import PHOTO_MAX_BYTES
from frontdesk.channels.webform.tests.conftest import form_key
from frontdesk.core.actions.contacts import create_contact
from frontdesk.core.models import ConsentChange, Contact, ContactIdentity
from frontdesk.inbox import actions, queries
from frontdesk.inbox.models import (
    Attachment,
    Channel,
    Conversation,
    InboundEvent,
    Message,
    Notification,
)

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def png(size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_form_is_styled_to_the_workspace_and_not_cached(visitor, riverside):
    riverside.brand_color = "#7a4fb3"
    riverside.save()
    response = visitor.get("/f/riverside/")
    assert response.status_code == 200
    page = text(response)
    assert "Riverside Public Library" in page
    assert "--brand: #7a4fb3" in page
    assert '<meta name="viewport"' in page
    assert 'type="tel"' in page and 'autocomplete="email"' in page
    # Each rendering carries its own key, so no proxy may share one page between people.
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert form_key(visitor.get("/f/riverside/")) != form_key(response)


def test_a_light_brand_colour_gets_dark_button_text(visitor, riverside):
    riverside.brand_color = "#f4c76b"
    riverside.save()
    assert "--on-brand: #1e2422" in text(visitor.get("/f/riverside/"))


def test_the_embed_may_be_framed_by_any_site_and_has_no_page_chrome(visitor, riverside):
    response = visitor.get("/f/riverside/embed/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    page = text(response)
    assert "webform-embed" in page
    assert "skip-link" not in page
    assert 'action="/f/riverside/embed/"' in page


def test_an_unknown_workspace_or_a_switched_off_form_is_404(visitor, riverside):
    assert visitor.get("/f/nowhere/").status_code == 404
    Channel.objects.create(workspace=riverside, kind="webform", name="Old", is_active=False)
    assert visitor.get("/f/riverside/").status_code == 404
    assert visitor.post("/f/riverside/", {"name": "x"}).status_code == 404


def test_a_submission_lands_in_the_inbox_as_a_conversation(send_form, ana, riverside, cast):
    response = send_form(ana)

    assert response.status_code == 200
    assert "Thanks, Ana!" in text(response)
    [channel] = Channel.objects.for_workspace(riverside)
    assert (channel.kind, channel.name, channel.is_active) == ("webform", "Contact form", True)
    [event] = InboundEvent.objects.all()
    assert event.status == "processed"
    assert (event.sender_kind, event.sender_address) == ("email", "ana.lopez@example.org")
    assert event.raw["form"]["phone"] == "+12015550123"

    page = queries.inbox_page(riverside, member=cast["agent"], filter="all")
    [conversation] = page.rows
    assert conversation.channel == channel
    # The thank-you named Olivia (on duty): the conversation is hers (routing).
    assert conversation.assignee == cast["owner"]
    assert conversation.subject == "The printer on the second floor is jammed again."
    assert conversation.waiting_since is not None
    assert conversation.contact.name == "Ana López"
    [message] = queries.conversation_timeline(conversation)
    assert message.kind == "incoming"
    assert message.body == ana["message"]


def test_the_contact_keeps_both_addresses_and_the_consent_they_gave(send_form, ana, riverside):
    send_form(ana)
    contact = Contact.objects.get(workspace=riverside)
    assert sorted(contact.identities.values_list("kind", "value")) == [
        ("email", "ana.lopez@example.org"),
        ("phone", "+12015550123"),
    ]
    assert (contact.email_consent, contact.sms_consent) == ("granted", "granted")
    assert set(ConsentChange.objects.values_list("topic", "source")) == {
        ("email", "web form"),
        ("sms", "web form"),
    }


def test_without_the_consent_box_no_consent_is_recorded(send_form, ana, riverside):
    del ana["consent"]
    send_form(ana)
    contact = Contact.objects.get(workspace=riverside)
    assert (contact.email_consent, contact.sms_consent) == ("unknown", "unknown")
    assert not ConsentChange.objects.exists()


def test_the_thank_you_names_the_member_on_duty_with_their_avatar(send_form, ana, riverside, cast):
    response = send_form(ana)
    # Nobody has open conversations yet: the longest-serving member who answers.
    assert (
        "Olivia from Riverside Public Library will answer you by email, "
        "usually within a few hours." in text(response)
    )
    assert ">OO</span>" in text(response)  # Olivia Owens' initials, in her colour


def test_on_duty_is_whoever_has_fewest_open_conversations_and_can_answer(
    send_form, ana, riverside, cast, make_conversation
):
    make_conversation(assignee=cast["owner"])
    make_conversation(assignee=cast["admin"])
    response = send_form(ana)
    # Maya (agent) has none open; Mo (moderator) has none either but cannot answer.
    assert "Maya from Riverside Public Library will answer you" in text(response)
    event = InboundEvent.objects.get()
    assert event.raw["acknowledged_responder"] == cast["agent"].pk


def test_the_person_the_thank_you_names_gets_the_conversation_and_is_told(
    send_form, ana, riverside, cast, make_conversation
):
    make_conversation(assignee=cast["owner"])
    make_conversation(assignee=cast["admin"])
    response = send_form(ana)
    assert "Maya from Riverside Public Library will answer you" in text(response)
    conversation = Conversation.objects.get(contact__name="Ana López")
    assert conversation.assignee == cast["agent"]
    assert Notification.objects.filter(
        recipient=cast["agent"], kind="assigned", conversation=conversation
    ).exists()


def test_a_customer_with_an_assigned_conversation_is_told_their_assignee(
    send_form, ana, riverside, cast, make_conversation
):
    existing = make_conversation(assignee=cast["admin"], email="ana.lopez@example.org")
    response = send_form(ana)
    assert "Amir from Riverside Public Library will answer you" in text(response)
    # Routing keeps the assignee: the message joins Amir's conversation.
    [conversation] = Conversation.objects.all()
    assert conversation == existing
    assert conversation.assignee == cast["admin"]
    assert conversation.messages.filter(kind="incoming").count() == 1


def test_someone_who_left_only_a_phone_number_is_told_how_we_will_reach_them(
    send_form, ana, riverside
):
    response = send_form(ana | {"email": ""})
    assert "will answer you at (201) 555-0123, usually" in text(response)
    event = InboundEvent.objects.get()
    assert (event.sender_kind, event.sender_address) == ("phone", "+12015550123")


def test_phone_numbers_are_read_with_the_workspaces_country(send_form, ana, riverside):
    riverside.default_country = "GB"
    riverside.save()
    send_form(ana | {"email": "", "phone": "020 7946 0018"})
    assert ContactIdentity.objects.get(workspace=riverside).value == "+442079460018"


def test_a_double_submit_or_refresh_stores_one_message(send_form, ana, visitor, riverside):
    key = form_key(visitor.get("/f/riverside/"))
    first = send_form(ana | {"submission": key})
    again = send_form(ana | {"submission": key})
    assert first.status_code == again.status_code == 200
    assert "Thanks, Ana!" in text(again)
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


def test_going_back_and_sending_something_else_is_a_new_message(send_form, ana, visitor):
    key = form_key(visitor.get("/f/riverside/"))
    send_form(ana | {"submission": key})
    send_form(ana | {"submission": key, "message": "Also: the scanner is out of paper."})
    assert InboundEvent.objects.count() == 2
    [conversation] = Conversation.objects.all()
    assert conversation.messages.count() == 2


def test_the_honeypot_gets_a_normal_thank_you_and_stores_nothing(send_form, ana, riverside):
    response = send_form(ana | {"website": "http://cheap-pills.example"})
    assert response.status_code == 200
    assert "Thanks, Ana!" in text(response)
    assert not InboundEvent.objects.exists()
    assert not Contact.objects.exists()
    assert not Channel.objects.exists()


def test_the_honeypot_is_hidden_from_people_and_screen_readers(visitor, riverside):
    page = text(visitor.get("/f/riverside/"))
    assert '<div class="hp" aria-hidden="true">' in page
    assert 'name="website"' in page and 'tabindex="-1"' in page


def test_no_way_to_answer_is_a_clear_error_that_keeps_what_was_typed(send_form, ana):
    response = send_form(ana | {"email": "", "phone": ""})
    assert response.status_code == 400
    page = text(response)
    assert "Your message isn’t sent yet." in page
    assert "Leave an email address or a phone number (or both)" in page
    assert 'value="Ana López"' in page
    assert "It ate my boarding pass." in page
    assert 'aria-invalid="true"' in page
    assert not InboundEvent.objects.exists()


def test_an_unreadable_phone_number_says_how_to_write_one(send_form, ana):
    response = send_form(ana | {"phone": "call me maybe"})
    assert response.status_code == 400
    page = text(response)
    assert "“call me maybe” doesn’t look like a phone number. Write it like (201) 555-0123" in page
    assert 'value="call me maybe"' in page
    assert not InboundEvent.objects.exists()


def test_a_photo_is_stored_with_the_message(send_form, ana, riverside):
    photo = SimpleUploadedFile("printer.png", png(), content_type="image/png")
    send_form(ana | {"photo": photo})
    [attachment] = Attachment.objects.all()
    assert (attachment.filename, attachment.content_type) == ("printer.png", "image/png")
    assert attachment.message.conversation.workspace == riverside
    with attachment.file.open("rb") as stored:
        assert stored.read() == png()


def test_a_file_that_is_no_picture_is_refused_and_asked_for_again(send_form, ana):
    fake = SimpleUploadedFile("printer.png", b"%PDF-1.7 not a picture", content_type="image/png")
    response = send_form(ana | {"photo": fake})
    assert response.status_code == 400
    page = text(response)
    assert "This file isn’t a picture we can open." in page
    assert "Your photo wasn’t kept: choose it again before you send." in page
    assert not InboundEvent.objects.exists()


def test_a_photo_over_the_size_limit_is_refused_before_it_is_decoded(send_form, ana):
    big = SimpleUploadedFile("huge.png", b"\0" * (PHOTO_MAX_BYTES + 1), content_type="image/png")
    response = send_form(ana | {"photo": big})
    assert response.status_code == 400
    assert "send one up to 5.0\xa0MB" in text(response)


def test_a_picture_in_an_unusual_format_is_refused(send_form, ana):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="BMP")
    bmp = SimpleUploadedFile("scan.bmp", buffer.getvalue(), content_type="image/bmp")
    response = send_form(ana | {"photo": bmp})
    assert "Send the photo as a JPEG, PNG, GIF or WebP picture." in text(response)


@pytest.mark.parametrize("key", ["", "forged", "InRoaXMi:1abc:xyz"])
def test_a_missing_or_forged_key_sends_the_form_back_with_a_fresh_one(send_form, ana, key):
    response = send_form(ana | {"submission": key})
    assert response.status_code == 400
    page = text(response)
    assert "press Send again" in page
    assert 'value="Ana López"' in page
    assert form_key(response) not in ("", key)
    assert not InboundEvent.objects.exists()


def test_a_key_from_another_workspaces_form_is_not_trusted(send_form, ana, visitor, cast):
    hillview_key = form_key(visitor.get("/f/hillview/"))
    response = send_form(ana | {"submission": hillview_key})
    assert response.status_code == 400
    assert not InboundEvent.objects.exists()


def test_a_submission_goes_to_its_own_workspace_only(send_form, ana, riverside, cast):
    send_form(ana, url="/f/hillview/")
    hillview = cast["outsider"].workspace
    assert Conversation.objects.for_workspace(hillview).count() == 1
    assert not Conversation.objects.for_workspace(riverside).exists()
    assert "Oscar from Hillview Library" in text(send_form(ana, url="/f/hillview/embed/"))


def test_the_embed_posts_back_into_the_frame(send_form, ana):
    response = send_form(ana, url="/f/riverside/embed/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "Thanks, Ana!" in text(response)
    assert InboundEvent.objects.get().raw["embedded"] is True


def test_too_many_submissions_from_one_address_are_refused_keeping_the_text(
    send_form, ana, riverside
):
    Channel.objects.create(
        workspace=riverside,
        kind="webform",
        name="Contact form",
        settings={"rate_per_address": "2/h"},
    )
    for n in range(2):
        assert send_form(ana | {"message": f"Question {n}"}).status_code == 200
    refused = send_form(ana | {"message": "Question 3"})
    assert refused.status_code == 429
    assert "several messages from your connection" in text(refused)
    assert "Question 3" in text(refused)
    assert InboundEvent.objects.count() == 2
    # Someone else, elsewhere, is not affected.
    other = send_form(ana | {"message": "From home"}, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200
    assert InboundEvent.objects.count() == 3


def test_a_refresh_of_a_stored_submission_is_not_counted_against_the_limit(
    send_form, ana, visitor, riverside
):
    Channel.objects.create(
        workspace=riverside,
        kind="webform",
        name="Contact form",
        settings={"rate_per_address": "1/h"},
    )
    key = form_key(visitor.get("/f/riverside/"))
    for _ in range(3):
        assert send_form(ana | {"submission": key}).status_code == 200
    assert InboundEvent.objects.count() == 1


def test_a_flood_across_addresses_hits_the_workspace_limit(send_form, ana, riverside):
    Channel.objects.create(
        workspace=riverside,
        kind="webform",
        name="Contact form",
        settings={"rate_per_workspace": "3/h"},
    )
    statuses = [
        send_form(ana | {"message": f"Spam {n}"}, REMOTE_ADDR=f"203.0.113.{n}").status_code
        for n in range(1, 6)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    assert InboundEvent.objects.count() == 3


def test_a_staff_reply_to_a_form_message_reaches_the_customer_by_email(
    send_form, ana, riverside, cast, mailoutbox, django_capture_on_commit_callbacks
):
    send_form(ana)
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, body="Fixed it, sorry!", by=cast["agent"])
    # Olivia, whom routing gave the conversation, was emailed about it too.
    [email] = [m for m in mailoutbox if "ana.lopez@example.org" in m.to[0]]
    assert parseaddr(email.to[0]) == ("=?utf-8?q?Ana_L=C3=B3pez?=", "ana.lopez@example.org")
    assert email.subject == "Re: The printer on the second floor is jammed again."
    assert email.from_email.startswith("Maya Patel via Riverside Public Library <")


def test_a_returning_customer_continues_their_open_conversation(send_form, ana, riverside):
    contact = create_contact(
        riverside, name="Ana", identities=[("email", "ana.lopez@example.org")], by=None
    )
    send_form(ana)
    send_form(ana | {"message": "Any news?"})
    [conversation] = Conversation.objects.all()
    assert conversation.contact == contact
    assert [m.body for m in conversation.messages.all()] == [ana["message"], "Any news?"]
    assert conversation.last_message_at > timezone.now() - timedelta(minutes=1)
