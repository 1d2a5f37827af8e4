"""The inbox's demo data: lived-in, consistent, and the same however often it is loaded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.core.models import Membership, Workspace
from frontdesk.demo import inbox as demo
from frontdesk.demo.core import DEMO_SLUG, DEMO_STEPS, load_demo
from frontdesk.inbox import queries
from frontdesk.inbox.models import (
    Attachment,
    Channel,
    Conversation,
    InboundEvent,
    Message,
    Notification,
    Tag,
)

pytestmark = pytest.mark.django_db

MODELS = (Channel, InboundEvent, Conversation, Message, Attachment, Tag, Notification)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def riverside_demo(mailoutbox) -> Workspace:
    return load_demo()


def test_loading_the_demo_twice_gives_the_same_rows(riverside_demo):
    first = counts()
    load_demo()
    assert counts() == first
    web_form = Conversation.objects.filter(channel__kind="webform")
    assert web_form.count() == len(demo.STORIES) == 10


def test_the_inbox_step_is_registered_once():
    demo.register()
    demo.register()
    assert [name for name, _ in DEMO_STEPS].count(demo.STEP_NAME) == 1


def test_only_channels_with_a_connector_are_made(riverside_demo):
    assert list(Channel.objects.for_workspace(riverside_demo).values_list("kind", "name")) == [
        ("webform", "Contact form"),
        ("email", "Front desk email"),  # its own demo data: frontdesk/demo/email.py
        ("sms", "Main desk texts"),  # its own demo data: frontdesk/demo/sms.py
    ]


def test_every_customer_message_came_through_intake(riverside_demo):
    incoming = Message.objects.filter(kind="incoming", channel__kind="webform")
    events = InboundEvent.objects.filter(channel__kind="webform")
    assert incoming.count() == events.count() == 14
    assert not Message.objects.filter(kind="incoming", inbound_event__isnull=True).exists()
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert InboundEvent.objects.filter(provider_message_id="demo:fine-dispute:2").exists()


def test_the_conversations_cover_the_inbox_states(riverside_demo):
    by_status = {
        status: Conversation.objects.filter(status=status, channel__kind="webform").count()
        for status in ("open", "pending", "snoozed", "resolved")
    }
    assert by_status == {"open": 7, "pending": 1, "snoozed": 1, "resolved": 1}
    snoozed = Conversation.objects.get(status="snoozed")
    assert snoozed.snoozed_until > timezone.now()
    assert snoozed.snoozed_until.astimezone(riverside_demo.tzinfo).weekday() == 4  # Friday
    assigned = Conversation.objects.filter(assignee__isnull=False, channel__kind="webform")
    assert assigned.count() == 7
    assert set(Tag.objects.values_list("name", flat=True)) == {
        "holds",
        "printing",
        "fines",
        "events",
    }
    unhappy = Conversation.objects.get(tags__name="fines")
    assert (unhappy.priority, unhappy.assignee.display_name) == ("high", "Maya Patel")
    assert unhappy.first_response_at is None and unhappy.waiting_since is not None


def test_replies_are_sent_as_the_staff_and_nothing_is_emailed(riverside_demo, mailoutbox):
    replies = Message.objects.filter(kind="reply", channel__kind="webform").select_related("author")
    assert replies.count() == 6
    assert {r.status for r in replies} == {"sent"}
    assert all(r.provider_message_id.startswith("<") for r in replies)
    assert {r.author.display_name for r in replies} == {"Daniel Reyes", "Priya Shah"}
    assert mailoutbox == []


def test_notes_mention_colleagues_who_are_notified(riverside_demo):
    notes = Message.objects.filter(kind="note", conversation__channel__kind="webform")
    assert notes.count() == 5
    mentioned = Notification.objects.filter(kind="mentioned").select_related("recipient")
    assert {n.recipient.display_name for n in mentioned} == {
        "Daniel Reyes",
        "Priya Shah",
        "Maya Patel",
    }


def test_timestamps_are_spread_over_the_last_days_and_consistent(riverside_demo):
    now = timezone.now()
    times = list(Message.objects.values_list("created_at", flat=True))
    assert max(times) <= now
    assert now - min(times) > timedelta(days=2)
    for conversation in Conversation.objects.all():
        timeline = queries.conversation_timeline(conversation)
        assert [m.created_at for m in timeline] == sorted(m.created_at for m in timeline)
        said = [m.created_at for m in timeline if m.kind != "note"]
        assert conversation.last_message_at == max(said)
        assert conversation.created_at == timeline[0].created_at
        if conversation.first_response_at is not None:
            # Automatic replies (an SMS acknowledgement) are nobody's first response.
            first_reply = next(m for m in timeline if m.kind == "reply" and not m.automatic)
            assert conversation.first_response_at == first_reply.created_at


def test_the_inbox_shows_waiting_customers_first(riverside_demo):

    maya = Membership.objects.get(workspace=riverside_demo, display_name="Maya Patel")
    page = queries.inbox_page(riverside_demo, member=maya, status="open", order="attention")
    first = page.rows[0]
    assert first.tags.filter(name="fines").exists()
    mine = queries.inbox_page(riverside_demo, member=maya, filter="mine")
    # Ana's text was acknowledged naming Maya (on duty), which gave it to her.
    assert [c.contact.name for c in mine.rows] == ["Ana Lopez", "Isabel Santos"]


def test_the_printer_report_carries_its_photo(riverside_demo):
    [photo] = Attachment.objects.all()
    assert (photo.filename, photo.content_type) == ("printer-error.png", "image/png")
    with photo.file.open("rb") as stored:
        assert stored.read(8) == b"\x89PNG\r\n\x1a\n"
    assert Workspace.objects.get(slug=DEMO_SLUG) == photo.message.workspace


def test_the_mood_filter_shows_the_demos_unhappy_patrons(riverside_demo, client):
    """Triage read every demo message on its way in: the unhappy ones are findable."""
    unhappy = Conversation.objects.for_workspace(riverside_demo).filter(sentiment_label="negative")
    assert unhappy.exists()
    assert (
        Conversation.objects.for_workspace(riverside_demo)
        .exclude(sentiment_label="negative")
        .exists()
    )
    from django.utils.html import escape

    from frontdesk.core.models import Membership

    owner = Membership.objects.filter(workspace=riverside_demo, role="owner").first()
    client.force_login(owner.user)
    page = client.get(f"/w/{riverside_demo.slug}/inbox/?sentiment=negative").content.decode()
    shown = [c for c in unhappy.filter(status="open") if escape(c.contact.display_name) in page]
    assert shown and len(shown) == unhappy.filter(status="open").count()
