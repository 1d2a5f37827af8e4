from __future__ import annotations

import io
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from frontdesk.connectors import base
from frontdesk.inbox import intake
from frontdesk.inbox.models import (
    Attachment,
    Conversation,
    InboundEvent,
    InboundEventStatus,
    Message,
)

pytestmark = pytest.mark.django_db


def test_replaying_an_event_100_times_stores_one_event_and_one_message(
    channel, make_event, receive
):
    event = make_event(provider_id="form-42", body="Do you have large-print books?")
    for _ in range(100):
        receive(channel, event)
    assert InboundEvent.objects.filter(channel=channel).count() == 1
    assert Message.objects.filter(conversation__channel=channel).count() == 1
    row = InboundEvent.objects.get()
    assert row.status == InboundEventStatus.PROCESSED
    assert row.attempts == 1
    assert row.message.body == "Do you have large-print books?"


def test_a_replayed_event_returns_the_stored_row_and_schedules_nothing(
    channel, make_event, receive, django_capture_on_commit_callbacks
):
    event = make_event(provider_id="form-7")
    first = receive(channel, event)
    with django_capture_on_commit_callbacks() as callbacks:
        again, created = intake.store_inbound_event(channel, event)
    assert (again.pk, created, callbacks) == (first.pk, False, [])


def test_a_new_customer_gets_a_contact_and_an_open_waiting_conversation(channel, receive):
    row = receive(channel, sender="Grace@Example.ORG", name="Grace Hopper", body="Hello!")
    conversation = row.message.conversation
    assert conversation.status == "open"
    assert conversation.contact.name == "Grace Hopper"
    assert [(i.kind, i.value) for i in conversation.contact.identities.all()] == [
        ("email", "grace@example.org")
    ]
    assert conversation.number == 1
    assert conversation.subject == "Opening hours"
    assert conversation.waiting_since == row.received_at
    assert conversation.last_customer_message_at == row.received_at
    assert conversation.last_message_at == row.received_at
    assert row.message.kind == "incoming"
    assert row.message.created_at == row.received_at


def test_conversation_numbers_count_per_workspace(make_channel, hillview, receive):
    riverside_form = make_channel()
    hillview_form = make_channel(workspace=hillview)
    numbers = [
        receive(riverside_form, sender="a@example.org").message.conversation.number,
        receive(riverside_form, sender="b@example.org").message.conversation.number,
        receive(hillview_form, sender="c@example.org").message.conversation.number,
    ]
    assert numbers == [1, 2, 1]


def test_an_event_stored_but_never_processed_is_picked_up_by_the_sweep_once(
    channel, make_event, django_capture_on_commit_callbacks
):
    # The worker died after the row was committed and before its task ran: the
    # task is lost (on-commit callbacks not executed), only the row remains.
    event = make_event(provider_id="lost-1", body="Did my hold come in?")
    row, created = intake.store_inbound_event(channel, event)
    assert created
    InboundEvent.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert Message.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert intake.sweep_inbound_events() == 1
        assert intake.sweep_inbound_events() == 0

    row.refresh_from_db()
    assert row.status == InboundEventStatus.PROCESSED
    assert Message.objects.get().body == "Did my hold come in?"


def test_a_claim_left_by_a_dead_worker_is_released_and_processed(channel, make_event):
    row, _ = intake.store_inbound_event(channel, make_event(provider_id="stuck-1"))
    InboundEvent.objects.filter(pk=row.pk).update(
        status=InboundEventStatus.PROCESSING,
        claimed_at=timezone.now() - timedelta(minutes=6),
        attempts=1,
        created_at=timezone.now() - timedelta(minutes=6),
    )
    assert intake.sweep_inbound_events() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (InboundEventStatus.PROCESSED, 2)
    assert Message.objects.filter(inbound_event=row).count() == 1


def test_a_fresh_claim_is_left_alone_by_the_sweep(channel, make_event):
    row, _ = intake.store_inbound_event(channel, make_event(provider_id="busy-1"))
    InboundEvent.objects.filter(pk=row.pk).update(
        status=InboundEventStatus.PROCESSING, claimed_at=timezone.now(), attempts=1
    )
    assert intake.sweep_inbound_events() == 0
    assert Message.objects.count() == 0


def test_processing_the_same_event_twice_makes_one_message(channel, make_event):
    row, _ = intake.store_inbound_event(channel, make_event(provider_id="twice-1"))
    first = intake.process_inbound_event(row.pk)
    second = intake.process_inbound_event(row.pk)
    assert first is not None and second is None
    assert Message.objects.filter(inbound_event=row).count() == 1


def test_a_second_worker_after_an_expired_claim_does_not_make_a_second_message(channel, make_event):
    row, _ = intake.store_inbound_event(channel, make_event(provider_id="slow-1"))
    assert intake.process_inbound_event(row.pk) is not None
    # The first worker was so slow that its claim looked expired and the row was
    # handed out again: the unique Message.inbound_event still keeps one message.
    InboundEvent.objects.filter(pk=row.pk).update(status=InboundEventStatus.PENDING)
    assert intake.process_inbound_event(row.pk) is None
    row.refresh_from_db()
    assert row.status == InboundEventStatus.PROCESSED
    assert Message.objects.filter(inbound_event=row).count() == 1
    assert Conversation.objects.count() == 1


def test_an_unreadable_sender_address_fails_the_event_with_the_reason(channel, receive):
    row = receive(channel, sender="not an address", sender_kind="email")
    assert row.status == InboundEventStatus.FAILED
    assert "valid email" in row.error
    assert Message.objects.count() == 0


def test_attachment_bytes_are_stored_and_links_wait_for_a_fetch(channel, receive):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (90, 60, 30)).save(buffer, format="JPEG")
    photo = base.InboundAttachment(
        filename="shelf.jpg", content_type="image/jpeg", size=4, data=buffer.getvalue()
    )
    linked = base.InboundAttachment(
        filename="scan.pdf",
        content_type="application/pdf",
        size=1000,
        url="https://media.example.net/scan.pdf",
    )
    row = receive(channel, attachments=(photo, linked))
    stored, waiting = Attachment.objects.filter(message=row.message).order_by("id")
    assert stored.file.name.startswith("attachments/")
    with default_storage.open(stored.file.name, "rb") as handle:
        kept = handle.read()
    # The picture itself (re-encoded without metadata: a JPEG is not byte for byte).
    with Image.open(io.BytesIO(kept)) as picture:
        assert (picture.format, picture.size) == ("JPEG", (4, 3))
    assert (stored.pending_fetch, stored.size, stored.is_image) == (False, len(kept), True)
    assert (waiting.file.name, waiting.pending_fetch) == ("", True)
    assert waiting.source_url == "https://media.example.net/scan.pdf"
    # The web form adapter cannot fetch links, so the marker stays.
    assert intake.fetch_attachment(waiting.pk) is None


def test_a_replayed_event_with_an_attachment_leaves_no_second_file(channel, make_event, receive):
    photo = base.InboundAttachment("a.png", "image/png", 3, data=b"abc")
    event = make_event(provider_id="pic-1", attachments=(photo,))
    receive(channel, event)
    folder_files = _stored_attachment_files()
    receive(channel, event)
    assert _stored_attachment_files() == folder_files


def _stored_attachment_files() -> set[str]:
    found: set[str] = set()
    stack = ["attachments"]
    while stack:
        folder = stack.pop()
        if not default_storage.exists(folder):
            continue
        dirs, files = default_storage.listdir(folder)
        found |= {f"{folder}/{name}" for name in files}
        stack += [f"{folder}/{name}" for name in dirs]
    return found


def test_an_event_of_another_channel_kind_is_refused(channel, make_event):
    with pytest.raises(ValueError, match="cannot arrive"):
        intake.store_inbound_event(channel, make_event(kind="sms"))


def test_inbound_events_need_an_aware_time_and_a_provider_id(make_event):
    with pytest.raises(ValueError, match="aware"):
        make_event(received_at=timezone.now().replace(tzinfo=None))
    with pytest.raises(ValueError, match="provider"):
        base.InboundEvent(
            channel_kind="webform",
            provider_message_id="",
            sender_kind="email",
            sender_address="a@example.org",
            received_at=timezone.now(),
        )


def test_a_new_message_is_published_live_to_the_workspace(channel, riverside, receive):
    layer = get_channel_layer()
    name = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"ws-{riverside.pk}", name)

    row = receive(channel, body="Live!")

    received = [async_to_sync(layer.receive)(name) for _ in range(2)]
    events = {m["event"]: m["data"] for m in received}
    assert events["conversation.updated"]["conversation"]["number"] == 1
    assert events["conversation.updated"]["conversation"]["created"] is True
    assert events["message.created"]["message"]["id"] == row.message.pk
