"""receive_raw: stored first, stored once, never lost."""

from __future__ import annotations

import pytest

from frontdesk.channels.email.models import RawEmail
from frontdesk.channels.email.receive import Received, receive_many, receive_raw
from frontdesk.channels.email.tests.conftest import DESK
from frontdesk.inbox.models import InboundEvent, InboundEventStatus, Message

pytestmark = pytest.mark.django_db


def test_a_received_mail_is_stored_with_its_bytes_before_anything_else(email_channel, mail):
    raw = mail(subject="Opening hours")
    result = receive_raw(
        email_channel, raw, via="smtpd", envelope_recipients=["desk@riverside.example"]
    )
    assert result.created and not result.failed
    event = InboundEvent.objects.get(pk=result.event_id)
    assert event.status == InboundEventStatus.PENDING
    assert event.sender_address == "grace@example.org"
    assert event.subject == "Opening hours"
    stored = RawEmail.objects.get(event=event)
    assert bytes(stored.data) == raw
    assert stored.envelope_recipients == ["desk@riverside.example"]
    assert not Message.objects.exists()  # nothing processed yet: the worker does that


def test_a_retried_delivery_is_stored_once(email_channel, mail):
    raw = mail(message_id="<retry-1@example.org>")
    first = receive_raw(email_channel, raw, via="smtpd")
    again = receive_raw(email_channel, raw, via="imap")
    assert (first.created, again.created, again.event_id) == (True, False, first.event_id)
    assert InboundEvent.objects.count() == 1 and RawEmail.objects.count() == 1


def test_a_provider_rebuilding_the_mime_with_new_boundaries_is_still_the_same_mail(
    email_channel, mail
):
    raw = mail(message_id="<multi@example.org>", html="<p>Do you have large-print books?</p>")
    boundary = raw.split(b'boundary="', 1)[1].split(b'"', 1)[0]
    rebuilt = raw.replace(boundary, b"===============0000000000000000001==")
    assert rebuilt != raw
    receive_raw(email_channel, raw, via="postmark")
    assert not receive_raw(email_channel, rebuilt, via="postmark").created


def test_two_different_mails_with_one_message_id_are_both_kept(email_channel, mail):
    first = receive_raw(email_channel, mail(message_id="<same@x>", body="one"), via="smtpd")
    second = receive_raw(email_channel, mail(message_id="<same@x>", body="two"), via="smtpd")
    assert first.created and second.created and first.event_id != second.event_id


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "Empty message"),
        (b"   \r\n  ", "Empty message"),
        (b"\xff\xfe\x00garbage with no headers at all", "Not an email"),
    ],
)
def test_bad_mail_is_stored_as_a_failed_event_with_its_reason(email_channel, raw, reason):
    result = receive_raw(email_channel, raw, via="smtpd")
    event = InboundEvent.objects.get(pk=result.event_id)
    assert result.failed and event.status == InboundEventStatus.FAILED
    assert reason in event.error
    assert bytes(RawEmail.objects.get(event=event).data) == raw


def test_a_mail_over_the_size_limit_is_kept_and_marked(email_channel, mail):
    raw = mail(body="x" * 5000)
    result = receive_raw(email_channel, raw, via="mailgun", max_bytes=1000)
    assert result.failed and "Too large" in result.reason
    assert InboundEvent.objects.get(pk=result.event_id).status == InboundEventStatus.FAILED


def test_a_mail_the_parser_cannot_read_fails_alone_and_visibly(email_channel, mail, run_intake):
    bad = receive_raw(email_channel, b"Subject: no sender\r\n\r\nhello\r\n", via="smtpd")
    good = receive_raw(email_channel, mail(), via="smtpd")
    assert run_intake(bad.event_id).status == InboundEventStatus.FAILED
    assert "no sender" in InboundEvent.objects.get(pk=bad.event_id).error
    assert InboundEvent.objects.get(pk=good.event_id).status == InboundEventStatus.PROCESSED
    assert Message.objects.get().body == "Do you have large-print books?"


def test_receive_raw_takes_only_email_channels(riverside):
    from frontdesk.inbox.models import Channel

    web = Channel.objects.create(workspace=riverside, kind="webform", name="Form")
    with pytest.raises(ValueError, match="email channel"):
        receive_raw(web, b"Subject: x\r\n\r\n", via="smtpd")


@pytest.mark.parametrize(
    "outside",
    [
        pytest.param(False, id="in-a-transaction"),
        # Outside any transaction, as the SMTP receiver calls it: on PostgreSQL the
        # events and their bytes go in one statement of their own.
        pytest.param(True, id="on-its-own", marks=pytest.mark.django_db(transaction=True)),
    ],
)
def test_receive_many_stores_a_batch_as_receive_raw_stores_each(
    email_channel, mail, run_intake, outside
):
    """All at once for several mails: the new ones stored with their bytes, a mail
    stored before and a mail twice in the batch each kept once, bad mail failed."""
    from django.db import connection

    assert connection.in_atomic_block is not outside
    earlier = mail(message_id="<earlier@example.org>", subject="Sent before")
    stored_before = receive_raw(email_channel, earlier, via="imap")
    twice = mail(message_id="<twice@example.org>", subject="Twice in the batch")
    raws = [mail(subject="First"), earlier, twice, b"", twice, mail(subject="Last")]
    batch = [Received(email_channel, raw, [DESK], 100_000) for raw in raws]
    results = receive_many(batch, via="smtpd")

    assert [r.created for r in results] == [True, False, True, True, False, True]
    assert results[1].event_id == stored_before.event_id
    assert results[4].event_id == results[2].event_id
    assert results[3].failed and "Empty message" in results[3].reason
    assert InboundEvent.objects.count() == RawEmail.objects.count() == 5
    for raw, result in zip(raws, results, strict=True):
        if result.created:
            stored = RawEmail.objects.get(event_id=result.event_id)
            assert bytes(stored.data) == raw and stored.via == "smtpd"
            assert stored.envelope_recipients == [DESK]
    failed = InboundEvent.objects.get(pk=results[3].event_id)
    assert failed.status == InboundEventStatus.FAILED and "Empty message" in failed.error
    first = InboundEvent.objects.get(pk=results[0].event_id)
    assert (first.subject, first.sender_address) == ("First", "grace@example.org")
    assert run_intake(results[5].event_id).status == InboundEventStatus.PROCESSED
    assert set(Message.objects.values_list("subject", flat=True)) >= {"First", "Last"}


@pytest.mark.django_db(transaction=True)
def test_a_batch_the_database_refuses_stores_nothing(email_channel, mail):
    """A batch is all or nothing, on its own as in a transaction: a row the database
    refuses (here a negative size, which its CHECK constraint forbids) leaves none of
    the events stored, and the error is Django's (the SMTP receiver then stores each
    mail alone)."""
    from django.db import IntegrityError

    from frontdesk.channels.email.receive import _arrival, _raw_row
    from frontdesk.inbox.intake import store_new_inbound_events

    raws = [mail(subject="Fine"), mail(subject="Refused")]
    arrivals = [_arrival(email_channel, raw, "smtpd", None)[0] for raw in raws]
    beside = [_raw_row(email_channel, None, raw, "smtpd", [DESK]) for raw in raws]
    beside[1].size = -1
    with pytest.raises(IntegrityError):
        store_new_inbound_events([(email_channel, a) for a in arrivals], beside=beside)
    assert not InboundEvent.objects.exists() and not RawEmail.objects.exists()
    beside[1].size = len(raws[1])
    stored = store_new_inbound_events([(email_channel, a) for a in arrivals], beside=beside)
    assert [created for _row, created in stored] == [True, True]
    assert sorted(bytes(r.data) for r in RawEmail.objects.all()) == sorted(raws)


@pytest.mark.django_db(transaction=True)
def test_a_batch_on_its_own_is_one_transaction_of_its_engine_s_own_path(
    email_channel, mail, monkeypatch
):
    """Outside a transaction a batch takes its engine's own path (PostgreSQL: one
    statement; SQLite: both INSERTs in one BEGIN … COMMIT on the driver's connection);
    a batch the database refuses there leaves no transaction open behind it, and the
    connection stores the next batch as usual."""
    from django.db import IntegrityError, connection

    from frontdesk.channels.email.receive import _arrival, _raw_row
    from frontdesk.inbox import intake

    path = {"postgresql": "_insert_new_with", "sqlite": "_insert_new_sqlite"}[connection.vendor]
    taken: list[int] = []
    own = getattr(intake, path)

    def counted(rows, companions):
        taken.append(len(rows))
        return own(rows, companions)

    monkeypatch.setattr(intake, path, counted)
    raws = [mail(subject="One"), mail(subject="Two")]
    arrivals = [_arrival(email_channel, raw, "smtpd", None)[0] for raw in raws]
    beside = [_raw_row(email_channel, None, raw, "smtpd", [DESK]) for raw in raws]
    beside[0].size = -1  # the CHECK constraint refuses it
    with pytest.raises(IntegrityError):
        intake.store_new_inbound_events([(email_channel, a) for a in arrivals], beside=beside)
    assert taken == [2]
    if connection.vendor == "sqlite":
        assert not connection.connection.in_transaction
    else:
        from psycopg.pq import TransactionStatus

        assert connection.connection.info.transaction_status == TransactionStatus.IDLE
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert not InboundEvent.objects.exists() and not RawEmail.objects.exists()

    results = receive_many([Received(email_channel, raw, [DESK]) for raw in raws], via="smtpd")
    assert taken == [2, 2]
    assert [r.created for r in results] == [True, True]
    stored = {bytes(r.data): r for r in RawEmail.objects.select_related("event")}
    assert set(stored) == set(raws)
    assert {r.event.subject for r in stored.values()} == {"One", "Two"}
    assert {r.event_id for r in stored.values()} == {r.event_id for r in results}
    assert all(r.sha256 and r.size == len(raw) for raw, r in stored.items())


def test_receive_many_takes_only_email_channels(riverside):
    from frontdesk.inbox.models import Channel

    web = Channel.objects.create(workspace=riverside, kind="webform", name="Form")
    with pytest.raises(ValueError, match="email channel"):
        receive_many([Received(web, b"Subject: x\r\n\r\nhi\r\n")], via="smtpd")
    assert not InboundEvent.objects.exists()
