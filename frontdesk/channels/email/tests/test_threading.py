"""End to end: a customer's mail, a staff reply through a real SMTP server, and the
customer's answer coming home by each threading signal, or not at all when forged."""

from __future__ import annotations

import pytest

from frontdesk.channels.email.models import EmailDetail, EmailParticipant
from frontdesk.channels.email.receive import receive_raw
from frontdesk.inbox.actions.replies import deliver_message, send_reply
from frontdesk.inbox.models import Conversation, InboundEventStatus, Message, MessageKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def maya(cast):
    member = cast["agent"]
    member.signature = "Maya Patel\nRiverside Public Library"
    member.save(update_fields=["signature"])
    return member


@pytest.fixture
def thread(email_channel, mail, run_intake, maya, smtp_sink):
    """Grace writes; Maya answers; returns (conversation, the reply as the sink got it)."""
    first = receive_raw(email_channel, mail(message_id="<m1@example.org>"), via="smtpd")
    message = run_intake(first.event_id).message
    conversation = message.conversation
    reply = send_reply(conversation, body="Yes, on the ground floor.\n\nCome by!", by=maya)
    delivered = deliver_message(reply.pk)
    assert delivered is not None and delivered.status == "sent", delivered.failure_reason
    return conversation, smtp_sink.last(), delivered


def _incoming(conversation: Conversation) -> list[Message]:
    return list(conversation.messages.filter(kind=MessageKind.INCOMING).order_by("id"))


def test_a_reply_is_sent_as_the_person_with_threading_headers_and_both_parts(thread, config):
    conversation, sent, reply = thread
    assert sent["From"].addresses[0].display_name == "Maya Patel via Riverside Public Library"
    assert sent["From"].addresses[0].addr_spec == "desk@riverside.example"
    reply_to = sent["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith(f"desk+c{conversation.pk}-") and reply_to.endswith(
        "@riverside.example"
    )
    assert sent["Message-ID"] == reply.provider_message_id
    assert sent["In-Reply-To"] == "<m1@example.org>"
    assert sent["References"] == "<m1@example.org>"
    assert sent["Subject"] == f"Re: Large-print books? [#{conversation.number}]"
    # On the wire lines end in CRLF.
    text = sent.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = sent.get_body(preferencelist=("html",)).get_content()
    assert "Yes, on the ground floor." in text and "\n-- \nMaya Patel" in text
    assert "<p>Yes, on the ground floor.</p>" in html and "Maya Patel" in html
    assert sent.get_content_type() == "multipart/alternative"


def test_an_answer_with_headers_kept_lands_in_the_same_conversation(
    thread, email_channel, mail, run_intake
):
    conversation, sent, reply = thread
    answer = mail(
        subject="Re: " + str(sent["Subject"]),
        body="Great, thanks!\n\n> Yes, on the ground floor.\n",
        in_reply_to=reply.provider_message_id,
        references=f"<m1@example.org> {reply.provider_message_id}",
        to=str(sent["Reply-To"]),
    )
    event = run_intake(receive_raw(email_channel, answer, via="smtpd").event_id)
    assert event.message.conversation_id == conversation.pk
    assert EmailDetail.objects.get(event=event).thread_signal == "headers"
    assert Conversation.objects.count() == 1


def test_an_answer_with_headers_dropped_still_lands_by_its_reply_address(
    thread, email_channel, mail, run_intake
):
    conversation, sent, _reply = thread
    answer = mail(subject="about the books", body="One more question.", to=str(sent["Reply-To"]))
    event = run_intake(receive_raw(email_channel, answer, via="smtpd").event_id)
    assert event.message.conversation_id == conversation.pk
    assert EmailDetail.objects.get(event=event).thread_signal == "reply_address"


def test_the_reference_in_the_text_and_the_subject_number_are_weaker_signals(
    thread, email_channel, mail, run_intake
):
    conversation, sent, _reply = thread
    conversation.status = "resolved"
    conversation.save(update_fields=["status"])
    text = sent.get_body(preferencelist=("plain",)).get_content()
    quoted = "Thanks.\n\n" + "\n".join("> " + line for line in text.splitlines())
    by_marker = run_intake(
        receive_raw(email_channel, mail(subject="x", body=quoted), via="smtpd").event_id
    )
    assert by_marker.message.conversation_id == conversation.pk
    assert EmailDetail.objects.get(event=by_marker).thread_signal == "body_marker"
    by_number = run_intake(
        receive_raw(
            email_channel, mail(subject=f"Re: books [#{conversation.number}]"), via="smtpd"
        ).event_id
    )
    assert by_number.message.conversation_id == conversation.pk
    assert EmailDetail.objects.get(event=by_number).thread_signal == "subject_number"


def test_a_forged_message_id_from_another_sender_does_not_join_the_thread(
    thread, email_channel, mail, run_intake
):
    conversation, sent, reply = thread
    forged = mail(
        sender="Mallory <mallory@evil.example>",
        subject=str(sent["Subject"]),
        in_reply_to=reply.provider_message_id,
        references=reply.provider_message_id,
        to=str(sent["Reply-To"]),
        body=f"Injected [ref c{conversation.pk}-aaaaaaaaaaaaaaaa]",
    )
    event = run_intake(receive_raw(email_channel, forged, via="smtpd").event_id)
    assert event.message.conversation_id != conversation.pk
    assert event.message.conversation.contact.identities.get().value == "mallory@evil.example"
    assert [m.body for m in _incoming(conversation)] == ["Do you have large-print books?"]


def test_a_forged_reply_address_code_is_refused(email_channel, mail, run_intake, cast):
    grace = run_intake(receive_raw(email_channel, mail(), via="smtpd").event_id)
    conversation = grace.message.conversation
    guess = f"desk+c{conversation.pk}-abcdefghijklmnop@riverside.example"
    event = run_intake(
        receive_raw(
            email_channel, mail(sender="mallory@evil.example", to=guess), via="smtpd"
        ).event_id
    )
    assert event.message.conversation_id != conversation.pk


def test_cc_d_people_stay_on_the_thread(email_channel, mail, run_intake, maya, smtp_sink):
    raw = mail(cc="Ada <ada@example.org>, desk@riverside.example")
    event = run_intake(receive_raw(email_channel, raw, via="smtpd").event_id)
    conversation = event.message.conversation
    assert list(EmailParticipant.objects.values_list("address", flat=True)) == ["ada@example.org"]
    deliver_message(send_reply(conversation, body="Hello both", by=maya).pk)
    sent = smtp_sink.last()
    assert [a.addr_spec for a in sent["Cc"].addresses] == ["ada@example.org"]
    assert sorted(smtp_sink.received[-1][1]) == ["ada@example.org", "grace@example.org"]
    # Ada, a participant, answers from her own client without headers: same thread.
    answer = mail(sender="ada@example.org", to=str(sent["Reply-To"]), subject="re")
    ada = run_intake(receive_raw(email_channel, answer, via="smtpd").event_id)
    assert ada.message.conversation_id == conversation.pk


def test_an_out_of_office_answer_is_never_acknowledged(email_channel, mail, run_intake, smtp_sink):
    email_channel.settings = {**email_channel.settings, "auto_acknowledge": True}
    email_channel.save(update_fields=["settings"])
    ooo = mail(
        sender="away@example.org",
        subject="Out of office",
        headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
    )
    event = run_intake(receive_raw(email_channel, ooo, via="smtpd").event_id)
    assert event.message is not None  # it is still in the inbox
    assert not Message.objects.filter(automatic="ack").exists()


def test_at_most_one_acknowledgement_per_sender_per_day(email_channel, mail, run_intake, smtp_sink):
    email_channel.settings = {**email_channel.settings, "auto_acknowledge": True}
    email_channel.save(update_fields=["settings"])
    first = run_intake(receive_raw(email_channel, mail(subject="one"), via="smtpd").event_id)
    ack = Message.objects.get(automatic="ack")
    deliver_message(ack.pk)
    assert smtp_sink.last()["Auto-Submitted"] == "auto-replied"
    conversation = first.message.conversation
    conversation.status = "resolved"
    conversation.save(update_fields=["status"])
    email_channel.settings = {**email_channel.settings, "threading_window_hours": 0}
    email_channel.save(update_fields=["settings"])
    second = run_intake(receive_raw(email_channel, mail(subject="two"), via="smtpd").event_id)
    assert second.message.conversation_id != conversation.pk  # a new conversation...
    assert Message.objects.filter(automatic="ack").count() == 1  # ...and no second ack


def test_mail_from_our_own_address_is_never_taken_as_a_customers(email_channel, mail, run_intake):
    loop = mail(sender="Riverside <desk@riverside.example>", subject="Re: Your message")
    event = run_intake(receive_raw(email_channel, loop, via="smtpd").event_id)
    assert event.status == InboundEventStatus.FAILED and "own address" in event.error
    assert not Message.objects.exists()


def test_staff_can_move_a_mail_to_another_conversation(email_channel, mail, run_intake, maya):
    from frontdesk.channels.email.actions import move_message

    one = run_intake(receive_raw(email_channel, mail(subject="one"), via="smtpd").event_id)
    other = run_intake(
        receive_raw(email_channel, mail(sender="bob@example.org"), via="smtpd").event_id
    )
    moved = move_message(other.message, to=one.message.conversation, by=maya)
    assert moved.conversation_id == one.message.conversation_id
    assert EmailDetail.objects.get(message=moved).thread_signal == "moved"


def test_the_full_original_is_one_click_away(email_channel, mail, run_intake, client, maya):
    raw = mail(html="<p>Hi <b>there</b><script>alert(1)</script></p>")
    event = run_intake(receive_raw(email_channel, raw, via="smtpd").event_id)
    client.force_login(maya.user)
    conversation = event.message.conversation
    page = client.get(f"/w/riverside/inbox/{conversation.number}/")
    assert b"Show the full original" in page.content
    original = client.get(
        f"/w/riverside/settings/channels/email/message/{event.message.pk}/original/"
    )
    assert original.status_code == 200
    assert b"Do you have large-print books?" in original.content
    assert b"alert(1)" not in original.content
