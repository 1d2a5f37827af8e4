"""The demo's email channel: a mailbox and two conversations made by real mail through
the real intake, threaded by headers, with a CC'd participant; loading twice adds nothing."""

from __future__ import annotations

import pytest

from frontdesk.channels.email.models import EmailChannelConfig, EmailDetail, EmailParticipant
from frontdesk.demo import email as demo_email
from frontdesk.demo.core import DEMO_STEPS, load_demo
from frontdesk.inbox.models import Conversation, InboundEvent, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def riverside_demo(mailoutbox):
    return load_demo()


def test_the_demo_has_a_mailbox_and_two_email_conversations(riverside_demo, mailoutbox):
    config = EmailChannelConfig.objects.get()
    assert config.address == demo_email.DESK and config.inbound_provider == "smtpd"
    assert config.outbound_backend == "default"  # demo mode: files in FRONTDESK_EMAIL_DIR
    conversations = Conversation.objects.filter(channel=config.channel).order_by("id")
    assert [c.subject for c in conversations] == [
        "Interlibrary loan: a 1962 thesis on river ecology",
        "Donating my late father's books",
    ]
    # Every patron mail came through receive_raw and intake, and was read.
    events = InboundEvent.objects.filter(channel=config.channel)
    assert events.count() == 4 and set(events.values_list("status", flat=True)) == {"processed"}
    assert all(event.email_raw.via == "smtpd" for event in events)
    # The patrons' answers joined their conversations by In-Reply-To / References.
    signals = list(
        EmailDetail.objects.filter(message__conversation__in=conversations)
        .order_by("message__created_at")
        .values_list("thread_signal", flat=True)
    )
    assert sorted(signals) == ["", "", "headers", "headers"]
    # Rob, copied on Margaret's mail, stays on the thread and answered in it.
    donation = conversations[1]
    assert list(
        EmailParticipant.objects.filter(conversation=donation).values_list("address", flat=True)
    ) == ["rob.ellison@example.net"]
    # Replies went out as the staff through the email adapter; nothing was emailed.
    replies = Message.objects.filter(conversation__in=conversations, kind="reply")
    assert {r.status for r in replies} == {"sent"} and replies.count() == 2
    assert mailoutbox == []
    # Both conversations wait for staff (the patrons wrote last), in the demo's past.
    for conversation in conversations:
        assert conversation.waiting_since is not None
        assert conversation.first_response_at is not None


def test_the_quoted_history_is_trimmed_and_the_original_kept(riverside_demo):
    answer = Message.objects.get(
        inbound_event__provider_message_id__startswith="<demo.interlibrary-loan.2@"
    )
    assert answer.body.startswith("Reading-room only is fine.")
    assert "I've requested it" not in answer.body
    detail = EmailDetail.objects.get(message=answer)
    assert "I've requested it" in detail.body_text_full


def test_loading_twice_adds_no_mail(riverside_demo):
    before = (InboundEvent.objects.count(), Message.objects.count())
    load_demo()
    assert (InboundEvent.objects.count(), Message.objects.count()) == before
    demo_email.register()
    assert [name for name, _ in DEMO_STEPS].count(demo_email.STEP_NAME) == 1
