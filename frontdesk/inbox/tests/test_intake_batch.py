"""Batched intake: events claimed together with one conditional UPDATE and recorded
set-based in one transaction, with the outcome processing them one by one gives."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from frontdesk.core.models import Contact, ContactIdentity
from frontdesk.inbox import intake
from frontdesk.inbox.models import (
    AutomaticReason,
    Conversation,
    ConversationStatus,
    InboundEvent,
    InboundEventStatus,
    Message,
    MessageKind,
)

pytestmark = pytest.mark.django_db


def _store(channel, make_event, senders: list[str], *, start=None, prefix="b"):
    start = start or timezone.now() - timedelta(minutes=10)
    return [
        intake.store_inbound_event(
            channel,
            make_event(
                provider_id=f"{prefix}-{n}",
                sender=sender,
                name="",
                body=f"text {n} from {sender}",
                received_at=start + timedelta(seconds=n),
            ),
        )[0]
        for n, sender in enumerate(senders)
    ]


def test_claims_take_each_pending_row_once_oldest_first(channel, make_event):
    rows = _store(channel, make_event, [f"r{n}@example.org" for n in range(10)])
    claims = [intake.claim_inbound_events(limit=4) for _ in range(4)]
    ids = [row.pk for row in rows]
    assert claims == [ids[:4], ids[4:8], ids[8:], []]
    claimed = InboundEvent.objects.filter(status=InboundEventStatus.PROCESSING)
    assert claimed.count() == 10
    assert set(claimed.values_list("attempts", flat=True)) == {1}
    assert claimed.filter(claimed_at__isnull=True).count() == 0


def test_a_senders_next_text_waits_while_their_earlier_one_is_in_another_claim(channel, make_event):
    first, other, second, free = _store(
        channel,
        make_event,
        ["ann@example.org", "bob@example.org", "ann@example.org", "cy@example.org"],
    )
    # Another worker holds Ann's first text: her second is not claimed beside it.
    assert intake.claim_inbound_events(limit=2) == [first.pk, other.pk]
    assert intake.claim_inbound_events() == [free.pk]
    assert InboundEvent.objects.get(pk=second.pk).status == InboundEventStatus.PENDING
    # Once that batch is recorded, the next claim takes it.
    intake._process_batch([first.pk, other.pk])
    assert intake.claim_inbound_events() == [second.pk]
    intake._process_batch([second.pk, free.pk])
    [ann] = Conversation.objects.filter(contact__identities__value="ann@example.org")
    assert list(ann.messages.order_by("id").values_list("inbound_event_id", flat=True)) == [
        first.pk,
        second.pk,
    ]


def test_one_claim_takes_a_senders_texts_together(channel, make_event):
    rows = _store(channel, make_event, ["ann@example.org", "bob@example.org", "ann@example.org"])
    assert intake.claim_inbound_events() == [row.pk for row in rows]


def test_a_text_waiting_for_a_retry_or_a_dead_claim_holds_up_nothing(settings, channel, make_event):
    retry, dead, after_retry, after_dead = _store(
        channel,
        make_event,
        ["ann@example.org", "bob@example.org", "ann@example.org", "bob@example.org"],
    )
    # Ann's first was handed back after a failure (the sweep retries it); Bob's first
    # is claimed by a worker that died longer ago than the claim timeout.
    InboundEvent.objects.filter(pk=retry.pk).update(attempts=1)
    expired = timezone.now() - timedelta(seconds=settings.INBOX_CLAIM_TIMEOUT_SECONDS + 5)
    InboundEvent.objects.filter(pk=dead.pk).update(
        status=InboundEventStatus.PROCESSING, attempts=1, claimed_at=expired
    )
    assert intake.claim_inbound_events() == [after_retry.pk, after_dead.pk]


def test_a_row_handed_back_after_a_failure_is_left_to_the_sweep(channel, make_event):
    [row] = _store(channel, make_event, ["again@example.org"])
    InboundEvent.objects.filter(pk=row.pk).update(attempts=1)
    assert intake.claim_inbound_events() == []
    assert intake.sweep_inbound_events(now=timezone.now() + timedelta(minutes=5)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (InboundEventStatus.PROCESSED, 2)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="PostgreSQL's row locks (SKIP LOCKED)")
def test_two_claimers_at_once_never_get_the_same_row(settings, channel, make_event):
    from huey.contrib.djhuey import HUEY

    # Stored as a webhook stores them, with no task run inline (they stay pending).
    settings.INBOX_INTAKE = "poll"
    was, HUEY.immediate = HUEY.immediate, False
    try:
        rows = _store(channel, make_event, [f"c{n}@example.org" for n in range(300)])
    finally:
        HUEY.immediate = was
    _claim_concurrently(rows)


def _claim_concurrently(rows):
    claims: dict[str, list[int]] = {"a": [], "b": []}
    go = threading.Barrier(2)

    def claim(name: str) -> None:
        try:
            go.wait()
            while ids := intake.claim_inbound_events(limit=7):
                claims[name] += ids
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(name,)) for name in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not set(claims["a"]) & set(claims["b"])
    assert sorted(claims["a"] + claims["b"]) == [row.pk for row in rows]
    assert claims["a"] and claims["b"]


def test_with_the_poll_intake_the_sweep_leaves_untried_rows_to_the_pollers(
    settings, channel, make_event
):
    from huey.contrib.djhuey import HUEY

    untried, handed_back = _store(channel, make_event, ["u@example.org", "h@example.org"])
    InboundEvent.objects.filter(pk=handed_back.pk).update(attempts=1)
    settings.INBOX_INTAKE = "poll"
    was, HUEY.immediate = HUEY.immediate, False
    try:
        HUEY.flush()
        assert intake.sweep_inbound_events(now=timezone.now() + timedelta(minutes=5)) == 1
        assert HUEY.pending_count() == 1
    finally:
        HUEY.flush()
        HUEY.immediate = was
    assert intake.claim_inbound_events() == [untried.pk]


def test_a_crash_mid_batch_leaves_its_rows_claimed_for_the_sweep(
    channel, make_event, monkeypatch, django_capture_on_commit_callbacks
):
    rows = _store(channel, make_event, ["a@example.org", "b@example.org", "a@example.org"])
    ids = intake.claim_inbound_events()

    def dies(*args, **kwargs):
        raise KeyboardInterrupt  # not an Exception: nothing catches it, as with a kill

    monkeypatch.setattr(intake, "_react_all", dies)  # the reactions of a round
    with pytest.raises(KeyboardInterrupt):
        intake._process_batch(ids)
    # Rolled back whole: still claimed, nothing recorded, nothing to publish. The
    # senders' contacts were committed first, on purpose (a short transaction of
    # their own, so other workers do not wait on this batch for them): one each.
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processing"}
    assert (Message.objects.count(), Conversation.objects.count()) == (0, 0)
    assert sorted(ContactIdentity.objects.values_list("value", flat=True)) == [
        "a@example.org",
        "b@example.org",
    ]

    monkeypatch.undo()
    later = timezone.now() + timedelta(minutes=6)
    with django_capture_on_commit_callbacks(execute=True):
        assert intake.sweep_inbound_events(now=later) == 3
    assert set(InboundEvent.objects.values_list("status", "attempts")) == {("processed", 2)}
    assert sorted(Message.objects.values_list("inbound_event_id", flat=True)) == [
        row.pk for row in rows
    ]
    assert Conversation.objects.count() == 2
    # Processing again found those contacts: none made twice.
    assert (Contact.objects.count(), ContactIdentity.objects.count()) == (2, 2)


def test_one_bad_event_fails_alone_and_the_rest_of_its_batch_is_recorded(channel, make_event):
    rows = _store(channel, make_event, ["fine@example.org", "not an address", "ok@example.org"])
    assert intake.IntakePoller().run_once() == 3
    statuses = dict(InboundEvent.objects.values_list("pk", "status"))
    assert [statuses[row.pk] for row in rows] == ["processed", "failed", "processed"]
    assert Message.objects.count() == 2


def test_an_event_recorded_before_its_claim_expired_is_not_recorded_twice(channel, make_event):
    [row] = _store(channel, make_event, ["slow@example.org"])
    assert intake.process_inbound_event(row.pk) is not None
    # Handed out again as if the first worker's claim had expired.
    InboundEvent.objects.filter(pk=row.pk).update(status=InboundEventStatus.PENDING, attempts=0)
    assert intake.IntakePoller().run_once() == 1
    row.refresh_from_db()
    assert row.status == InboundEventStatus.PROCESSED
    assert Message.objects.filter(inbound_event=row).count() == 1


def test_messages_keep_their_arrival_order_within_and_across_batches(channel, make_event, caplog):
    senders = ["x@example.org", "y@example.org", "x@example.org", "z@example.org"] * 5
    rows = _store(channel, make_event, senders)
    poller = intake.IntakePoller(batch=6)
    while poller.run_once():
        pass
    assert Conversation.objects.count() == 3
    for conversation in Conversation.objects.all():
        timeline = list(conversation.messages.order_by("created_at", "id"))
        events = [m.inbound_event_id for m in timeline]
        assert events == sorted(events)
        assert [m.pk for m in timeline] == sorted(m.pk for m in timeline)
    assert Message.objects.count() == len(rows)
    assert "intake batch failed" not in caplog.text  # the batched path, not its fallback


def _outcome(workspace) -> list[tuple]:
    """What intake left in a workspace, without ids: per customer, per conversation."""
    out = []
    for conversation in Conversation.objects.for_workspace(workspace).order_by("number"):
        identity = ContactIdentity.objects.get(contact=conversation.contact)
        out.append(
            (
                conversation.number,
                identity.value,
                conversation.status,
                conversation.waiting_since,
                conversation.last_message_at,
                conversation.last_customer_message_at,
                conversation.subject,
                tuple(conversation.messages.order_by("id").values_list("kind", "body")),
            )
        )
    return out


def test_a_batch_leaves_what_processing_one_by_one_leaves(
    riverside, hillview, make_channel, make_event, caplog
):
    """The same texts on two channels in two workspaces, each customer known or not,
    with an open, a snoozed, a recently resolved and an old resolved conversation."""
    start = timezone.now() - timedelta(hours=2)
    outcomes = []
    for workspace, batched in ((riverside, False), (hillview, True)):
        channel = make_channel(workspace=workspace, threading_window_hours=24)
        for sender, status, age in (
            ("open@example.org", ConversationStatus.OPEN, 1),
            ("snoozed@example.org", ConversationStatus.SNOOZED, 1),
            ("recent@example.org", ConversationStatus.RESOLVED, 3),
            ("old@example.org", ConversationStatus.RESOLVED, 72),
        ):
            contact = Contact.objects.create(workspace=workspace, name=sender)
            ContactIdentity.objects.create(
                workspace=workspace, contact=contact, kind="email", value=sender
            )
            Conversation.objects.create(
                workspace=workspace,
                number=Conversation.objects.for_workspace(workspace).count() + 1,
                contact=contact,
                channel=channel,
                status=status,
                created_at=start - timedelta(hours=age),
                last_message_at=start - timedelta(hours=age),
            )
        from frontdesk.inbox.actions.conversations import inbox_settings_for

        settings = inbox_settings_for(workspace)
        settings.last_conversation_number = 4
        settings.save()
        senders = [
            "new@example.org",
            "open@example.org",
            "snoozed@example.org",
            "new@example.org",
            "recent@example.org",
            "old@example.org",
            "other@example.org",
            "old@example.org",
            "open@example.org",
        ]
        rows = _store(channel, make_event, senders, start=start, prefix=f"eq-{workspace.pk}")
        if batched:
            assert intake.IntakePoller().run_once() == len(rows)
        else:
            for row in rows:
                intake.process_inbound_event(row.pk)
        assert set(InboundEvent.objects.filter(channel=channel).values_list("status", flat=True))
        outcomes.append(_outcome(workspace))
    one_by_one, batch = outcomes
    assert batch == one_by_one
    assert len(batch) == 7  # four before, plus new, other and old's new conversation
    assert "intake batch failed" not in caplog.text  # the batched path, not its fallback


def test_a_batch_acknowledges_each_new_conversation_once(
    make_sms_channel, make_event, django_capture_on_commit_callbacks
):
    channel = make_sms_channel(settings={"auto_acknowledge": True})
    numbers = ["+15035550101", "+15035550102", "+15035550101", "+15035550101"]
    rows = [
        intake.store_inbound_event(
            channel,
            make_event(
                kind="sms",
                sender_kind="phone",
                sender=number,
                name="",
                subject="",
                provider_id=f"SMack{n}",
                body="Are you open today?",
            ),
        )[0]
        for n, number in enumerate(numbers)
    ]
    with django_capture_on_commit_callbacks():
        assert intake.IntakePoller().run_once() == len(rows)
    automatic = Message.objects.filter(kind=MessageKind.REPLY).exclude(automatic="")
    assert automatic.count() == 2
    assert set(automatic.values_list("automatic", flat=True)) <= {
        AutomaticReason.ACKNOWLEDGEMENT,
        AutomaticReason.AFTER_HOURS,
    }
    # Each answers the text that started its conversation.
    first_texts = {rows[0].pk, rows[1].pk}
    assert {m.automatic_for.inbound_event_id for m in automatic} == first_texts


def test_a_batch_publishes_once_per_conversation(channel, riverside, make_event):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    name = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"ws-{riverside.pk}", name)
    _store(channel, make_event, ["p@example.org", "q@example.org", "p@example.org"])
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert intake.IntakePoller().run_once() == 3
    # The batch's events travel to the workspace group in one layer message.
    batch = async_to_sync(layer.receive)(name)
    assert batch["type"] == "live.events"
    received = batch["events"]
    assert len(received) == 4
    assert (
        sorted(m["event"] for m in received)
        == ["conversation.updated"] * 2 + ["message.created"] * 2
    )
    created = {m["data"]["conversation"]["number"]: m for m in received if "message" in m["data"]}
    p_last = Message.objects.get(inbound_event__provider_message_id="b-2")
    assert created[p_last.conversation.number]["data"]["message"]["id"] == p_last.pk


def test_a_failing_channel_reaction_loses_only_itself_and_keeps_the_batch(
    channel, make_event, monkeypatch
):
    """The round's reactions share one savepoint; when one raises they run again one
    by one, so the failing one is rolled back alone and every message is kept."""
    from frontdesk.inbox.kinds import ChannelKind

    rows = _store(channel, make_event, ["a@example.org", "bad@example.org", "c@example.org"])
    ran: list[str] = []

    def reaction(message, created):
        contact = message.conversation.contact
        ran.append(contact.name or str(contact.pk))
        Contact.objects.filter(pk=contact.pk).update(notes="reacted")
        if "bad" in message.body:
            raise RuntimeError("a bug in a channel's reaction")

    monkeypatch.setattr(ChannelKind, "after_inbound_hook", lambda self: reaction)
    assert intake.IntakePoller().run_once() == 3
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert sorted(Message.objects.values_list("inbound_event_id", flat=True)) == sorted(
        row.pk for row in rows
    )
    notes = dict(ContactIdentity.objects.values_list("value", "contact__notes"))
    assert notes == {"a@example.org": "reacted", "bad@example.org": "", "c@example.org": "reacted"}
    # Together up to the failing one (rolled back with it), then each alone.
    assert len(ran) == 2 + 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="PostgreSQL's row locks (SKIP LOCKED)")
def test_a_customer_another_batch_is_threading_is_handed_back_not_waited_for(
    settings, channel, make_event
):
    from huey.contrib.djhuey import HUEY

    settings.INBOX_INTAKE = "poll"
    was, HUEY.immediate = HUEY.immediate, False
    try:
        busy, free, busy_again = _store(
            channel, make_event, ["busy@example.org", "free@example.org", "busy@example.org"]
        )
    finally:
        HUEY.immediate = was
    contact = Contact.objects.create(workspace=channel.workspace, name="Busy")
    ContactIdentity.objects.create(
        workspace=channel.workspace, contact=contact, kind="email", value="busy@example.org"
    )
    locked, release, done = threading.Event(), threading.Event(), threading.Event()

    def other_worker() -> None:
        # Another worker's batch, threading this customer: it holds the contact's lock.
        try:
            with transaction.atomic():
                Contact.objects.select_for_update().get(pk=contact.pk)
                locked.set()
                release.wait(30)
        finally:
            locked.set()
            connections.close_all()

    holder = threading.Thread(target=other_worker)
    holder.start()
    try:
        assert locked.wait(30)
        ids = intake.claim_inbound_events()
        assert ids == [busy.pk, free.pk, busy_again.pk]

        def this_worker() -> None:
            try:
                intake._process_batch(ids)
                done.set()
            finally:
                connections.close_all()

        worker = threading.Thread(target=this_worker)
        worker.start()
        worker.join(30)
        # The batch did not wait for the lock: the free customer's text is recorded,
        # the busy customer's two are pending again, their claim not counted as a try.
        assert done.is_set()
        statuses = dict(InboundEvent.objects.values_list("pk", "status"))
        assert statuses == {busy.pk: "pending", free.pk: "processed", busy_again.pk: "pending"}
        assert set(InboundEvent.objects.values_list("attempts", flat=True)) == {0, 1}
        assert Message.objects.get().inbound_event_id == free.pk
    finally:
        release.set()
        holder.join(30)
    # Once the other batch has committed, the next claim takes them, in order.
    assert intake.claim_inbound_events() == [busy.pk, busy_again.pk]
    intake._process_batch([busy.pk, busy_again.pk])
    conversation = Conversation.objects.get(contact=contact)
    assert list(conversation.messages.values_list("inbound_event_id", flat=True)) == [
        busy.pk,
        busy_again.pk,
    ]


@pytest.mark.parametrize(
    "outside",
    [
        pytest.param(False, id="in-a-transaction"),
        # On PostgreSQL, outside a transaction: one statement that commits by itself.
        pytest.param(True, id="on-its-own", marks=pytest.mark.django_db(transaction=True)),
    ],
)
def test_storing_several_events_at_once_keeps_each_once(channel, make_event, outside):
    """`store_new_inbound_events`: new events stored (one marked failed with its reason),
    a replay of an earlier event and a copy twice in the batch each answered with the
    stored row, and the pending ones processed like any other."""
    assert connection.in_atomic_block is not outside
    earlier, _ = intake.store_inbound_event(channel, make_event(provider_id="earlier"))
    events = [
        make_event(provider_id="one", sender="grace@example.org", body="First"),
        make_event(provider_id="earlier"),
        make_event(provider_id="twice", sender="alan@example.org", body="Twice"),
        make_event(provider_id="bad", sender="edsger@example.org", body="Unreadable"),
        make_event(provider_id="twice", sender="alan@example.org", body="Twice"),
    ]
    stored = intake.store_new_inbound_events(
        [(channel, event) for event in events], failures=["", "", "", "could not read it", ""]
    )

    assert [created for _row, created in stored] == [True, False, True, True, False]
    assert stored[1][0].pk == earlier.pk and stored[4][0].pk == stored[2][0].pk
    assert InboundEvent.objects.count() == 4
    bad = InboundEvent.objects.get(provider_message_id="bad")
    assert (bad.status, bad.error) == (InboundEventStatus.FAILED, "could not read it")
    first = InboundEvent.objects.get(pk=stored[0][0].pk)
    assert (first.sender_address, first.body) == ("grace@example.org", "First")
    # Pending until a worker takes it (here the tests' inline tasks, once committed,
    # may already have: the "push" intake enqueues each new pending row).
    assert first.status in (InboundEventStatus.PENDING, InboundEventStatus.PROCESSED)
    while intake.process_inbound_events():
        pass
    assert (
        not InboundEvent.objects.exclude(pk=bad.pk)
        .exclude(status=InboundEventStatus.PROCESSED)
        .exists()
    )
    assert set(Message.objects.values_list("body", flat=True)) == {
        "First",
        "Twice",
        "Is the library open on Sunday?",
    }
    with pytest.raises(ValueError, match="one item per arrival"):
        intake.store_new_inbound_events([(channel, make_event())], failures=[])


def test_a_new_row_is_the_instance_the_model_itself_makes(
    channel, make_event, django_assert_num_queries
):
    """`new_row` (values by position, as Django reads rows) makes what `Model(**values)`
    makes: the values given, every other field's default, unsaved; the event row keeps
    its channel as `channel=` would; a field the model has not is refused."""
    event = make_event(thread_key="key-1")
    before = timezone.now()
    row = intake._event_row(channel, event, [])
    after = timezone.now()
    made = InboundEvent(
        workspace_id=channel.workspace_id,
        channel=channel,
        provider_message_id=event.provider_message_id,
        sender_kind=event.sender_kind,
        sender_address=event.sender_address,
        sender_name=event.sender_name,
        subject=event.subject,
        body=event.body,
        thread_key=event.thread_key,
        attachments=[],
        raw=dict(event.raw),
        received_at=event.received_at,
    )
    for field in InboundEvent._meta.concrete_fields:
        if field.name != "created_at":  # a default of its own time, made a moment apart
            assert getattr(row, field.attname) == getattr(made, field.attname), field.name
    assert before <= row.created_at <= after
    assert row.pk is None and row._state.adding and row._state.db is None
    assert row.status == InboundEventStatus.PENDING and row.attempts == 0 and row.error == ""
    with django_assert_num_queries(0):
        assert row.channel is channel
    bare, other = intake.new_row(InboundEvent, {}), intake.new_row(InboundEvent, {})
    assert bare.attachments == [] and bare.raw == {}
    assert bare.attachments is not other.attachments  # each default list its own
    with pytest.raises(TypeError, match="no field 'colour'"):
        intake.new_row(InboundEvent, {"colour": "blue"})
