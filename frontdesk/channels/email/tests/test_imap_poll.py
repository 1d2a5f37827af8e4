"""Reading a real IMAP server (a private Dovecot on loopback) by UIDVALIDITY + UID."""

from __future__ import annotations

import logging
import threading
from io import StringIO

import pytest
from django.core.management import call_command

from frontdesk.channels.email import imap_poll, receive
from frontdesk.channels.email.imap_models import ImapMailbox, ImapState
from frontdesk.channels.email.tests.conftest import make_raw
from frontdesk.inbox.models import InboundEvent

pytestmark = pytest.mark.django_db(transaction=True)


def stored_subjects(channel) -> list[str]:
    return sorted(InboundEvent.objects.filter(channel=channel).values_list("subject", flat=True))


def test_first_poll_imports_everything_once_and_a_second_poll_nothing(
    imap_settings, imap_user, make_mailbox
):
    imap_user.append(*(make_raw(n) for n in range(1, 8)))
    mailbox = make_mailbox()

    first = imap_poll.poll_mailbox(mailbox.pk)

    assert (first.fetched, first.stored, first.duplicates, first.error) == (7, 7, 0, "")
    assert first.uids == [1, 2, 3, 4, 5, 6, 7]
    assert stored_subjects(mailbox.channel) == sorted(f"Question {n}" for n in range(1, 8))
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity == imap_user.uidvalidity()
    assert (mailbox.last_uid, mailbox.imported_count, mailbox.state) == (7, 7, ImapState.ACTIVE)

    second = imap_poll.poll_mailbox(mailbox.pk)

    assert (second.fetched, second.stored, second.error) == (0, 0, "")
    assert InboundEvent.objects.filter(channel=mailbox.channel).count() == 7


def test_new_mail_is_picked_up_from_the_watermark(imap_settings, imap_user, make_mailbox):
    imap_user.append(make_raw(1), make_raw(2))
    mailbox = make_mailbox()
    imap_poll.poll_mailbox(mailbox.pk)

    imap_user.append(make_raw(3), make_raw(4), make_raw(5))
    report = imap_poll.poll_mailbox(mailbox.pk)

    assert report.uids == [3, 4, 5]
    assert report.stored == 3
    assert stored_subjects(mailbox.channel) == [f"Question {n}" for n in range(1, 6)]
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 5


def test_empty_folder_is_read_without_error(imap_settings, imap_user, make_mailbox):
    mailbox = make_mailbox()
    report = imap_poll.poll_mailbox(mailbox.pk)
    assert (report.fetched, report.error) == (0, "")
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity == imap_user.uidvalidity()
    assert mailbox.last_uid == 0
    # The `n:*` quirk: with one message above nothing, the search names the last UID.
    imap_user.append(make_raw(1))
    assert imap_poll.poll_mailbox(mailbox.pk).uids == [1]
    assert imap_poll.poll_mailbox(mailbox.pk).uids == []


def test_a_mailbox_can_start_with_only_new_mail(imap_settings, imap_user, make_mailbox):
    imap_user.append(*(make_raw(n) for n in range(1, 4)))
    mailbox = make_mailbox(import_existing=False)

    first = imap_poll.poll_mailbox(mailbox.pk)

    assert (first.fetched, first.error) == (0, "")
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 3
    imap_user.append(make_raw(4))
    assert imap_poll.poll_mailbox(mailbox.pk).uids == [4]
    assert stored_subjects(mailbox.channel) == ["Question 4"]


def test_seen_flags_and_server_mail_are_left_untouched(imap_settings, imap_user, make_mailbox):
    imap_user.append(make_raw(1), make_raw(2))
    imap_user.append(make_raw(3), flags=(b"\\Seen",))
    imap_user.append(make_raw(4), flags=(b"\\Flagged",))
    before = imap_user.flags()
    assert before[1] == () and before[3] == (b"\\Seen",)

    report = imap_poll.poll_mailbox(make_mailbox().pk)

    assert report.stored == 4
    assert imap_user.flags() == before


def test_delete_after_import_removes_exactly_the_imported_mail(
    imap_settings, imap_user, make_mailbox
):
    imap_user.append(*(make_raw(n) for n in range(1, 6)))
    with imap_user.client() as client:
        client.create_folder("Keep")
    imap_user.append(make_raw(99), folder="Keep")
    mailbox = make_mailbox(delete_after_import=True)

    report = imap_poll.poll_mailbox(mailbox.pk)

    assert (report.stored, report.deleted) == (5, 5)
    assert imap_user.flags() == {}
    assert len(imap_user.flags("Keep")) == 1
    assert InboundEvent.objects.filter(channel=mailbox.channel).count() == 5


def test_a_server_restart_mid_mailbox_resumes_from_the_watermark(
    imap_settings, imap_user, make_mailbox, monkeypatch
):
    """Dovecot is stopped (every connection cut) right after the 4th message is stored,
    in the middle of the second batch of three: the poll fails, keeps what is durable,
    and the next poll (server back) fetches only what comes after."""
    imap_user.append(*(make_raw(n) for n in range(1, 11)))
    mailbox = make_mailbox()
    real = receive.receive_raw
    handed: list[bytes] = []

    def receive_then_crash(channel, raw, **kwargs):
        result = real(channel, raw, **kwargs)
        handed.append(raw)
        if len(handed) == 4:
            imap_user.server.stop()
        return result

    monkeypatch.setattr(receive, "receive_raw", receive_then_crash)
    first = imap_poll.poll_mailbox(mailbox.pk)

    assert first.error, "the poll must notice the lost connection"
    # The batch in hand (UIDs 4–6) was fetched before the crash and is stored; the
    # next FETCH failed.
    assert first.uids == [1, 2, 3, 4, 5, 6]
    mailbox.refresh_from_db()
    assert (mailbox.state, mailbox.last_uid) == (ImapState.FAILING, 6)
    assert "connect" in mailbox.last_error.lower() or "broke" in mailbox.last_error.lower()

    imap_user.server.start()
    monkeypatch.setattr(receive, "receive_raw", real)
    second = imap_poll.poll_mailbox(mailbox.pk)

    assert (second.uids, second.stored, second.duplicates, second.error) == (
        [7, 8, 9, 10],
        4,
        0,
        "",
    )
    assert stored_subjects(mailbox.channel) == sorted(f"Question {n}" for n in range(1, 11))
    mailbox.refresh_from_db()
    assert (mailbox.state, mailbox.last_uid, mailbox.last_error) == (ImapState.ACTIVE, 10, "")


def test_a_message_that_could_not_be_stored_is_read_again(
    imap_settings, imap_user, make_mailbox, monkeypatch
):
    imap_user.append(*(make_raw(n) for n in range(1, 6)))
    mailbox = make_mailbox()
    real = receive.receive_raw

    def database_down_at_the_third(channel, raw, **kwargs):
        if b"Question 3" in raw:
            raise ConnectionError("database went away")
        return real(channel, raw, **kwargs)

    monkeypatch.setattr(receive, "receive_raw", database_down_at_the_third)
    report = imap_poll.poll_mailbox(mailbox.pk)

    assert report.stored == 2
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 2
    assert mailbox.state == ImapState.FAILING
    assert "UID 3" in mailbox.last_error

    monkeypatch.setattr(receive, "receive_raw", real)
    again = imap_poll.poll_mailbox(mailbox.pk)
    assert again.uids == [3, 4, 5]
    assert stored_subjects(mailbox.channel) == [f"Question {n}" for n in range(1, 6)]


def test_a_uidvalidity_change_reads_the_folder_again_without_duplicates(
    imap_settings, imap_user, make_mailbox, caplog, client_for, cast
):
    with imap_user.client() as client:
        client.create_folder("Support")
    imap_user.append(*(make_raw(n) for n in range(1, 6)), folder="Support")
    mailbox = make_mailbox(folder="Support")
    imap_poll.poll_mailbox(mailbox.pk)
    old_validity = imap_user.uidvalidity("Support")

    # The folder is recreated (as a restore from backup would): new UIDVALIDITY, UIDs
    # from 1 again, the old mail plus two new messages at UIDs the watermark had passed.
    with imap_user.client() as client:
        client.delete_folder("Support")
        client.create_folder("Support")
    imap_user.append(*(make_raw(n) for n in range(1, 8)), folder="Support")
    assert imap_user.uidvalidity("Support") != old_validity

    with caplog.at_level(logging.WARNING, logger="frontdesk.channels.email.imap_poll"):
        report = imap_poll.poll_mailbox(mailbox.pk)

    assert report.reset
    assert (report.fetched, report.stored, report.duplicates) == (7, 2, 5)
    assert stored_subjects(mailbox.channel) == [f"Question {n}" for n in range(1, 8)]
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity == imap_user.uidvalidity("Support")
    assert mailbox.previous_uidvalidity == old_validity
    assert mailbox.uidvalidity_changed_at is not None
    assert mailbox.last_uid == 7
    assert any("UIDVALIDITY changed" in r.getMessage() for r in caplog.records)

    page = client_for(cast["owner"]).get(f"/w/riverside/settings/channels/email/imap/{mailbox.pk}/")
    assert page.status_code == 200
    assert "renumbered this folder" in page.content.decode()
    assert f"UIDVALIDITY {old_validity}" in page.content.decode()


def test_a_refused_password_asks_for_re_authorisation(imap_settings, imap_user, make_mailbox):
    imap_user.append(make_raw(1))
    mailbox = make_mailbox(password="not-the-password")

    report = imap_poll.poll_mailbox(mailbox.pk)

    assert report.fetched == 0
    mailbox.refresh_from_db()
    assert mailbox.state == ImapState.NEEDS_REAUTH
    assert "refused the username or password" in mailbox.last_error
    assert "not-the-password" not in mailbox.last_error
    # Not polled again until an admin changes it.
    assert imap_poll.poll_mailbox(mailbox.pk).skipped == ImapState.NEEDS_REAUTH
    assert mailbox.pk not in imap_poll.due_mailboxes(everyone=True)


def test_an_unreachable_server_is_retried(imap_settings, imap_user, make_mailbox):
    from frontdesk.channels.email.tests.dovecot import free_port

    imap_user.append(make_raw(1))
    mailbox = make_mailbox(port=free_port())
    report = imap_poll.poll_mailbox(mailbox.pk)
    assert "Could not connect" in report.error
    mailbox.refresh_from_db()
    assert mailbox.state == ImapState.FAILING
    assert mailbox.pk in imap_poll.due_mailboxes(everyone=True)

    ImapMailbox.objects.filter(pk=mailbox.pk).update(port=imap_user.server.port)
    assert imap_poll.poll_mailbox(mailbox.pk).stored == 1
    mailbox.refresh_from_db()
    assert (mailbox.state, mailbox.last_error) == (ImapState.ACTIVE, "")


def test_a_mailbox_being_read_elsewhere_is_skipped(imap_settings, imap_user, make_mailbox):
    from django.utils import timezone

    imap_user.append(make_raw(1))
    mailbox = make_mailbox()
    ImapMailbox.objects.filter(pk=mailbox.pk).update(poll_claimed_at=timezone.now())
    assert imap_poll.poll_mailbox(mailbox.pk).skipped == "being read"
    assert InboundEvent.objects.count() == 0
    # A claim left by a poll that died is taken over once it is stale.
    ImapMailbox.objects.filter(pk=mailbox.pk).update(
        poll_claimed_at=timezone.now() - imap_poll.CLAIM_TIMEOUT * 2
    )
    assert imap_poll.poll_mailbox(mailbox.pk).stored == 1


def test_an_inactive_channel_is_not_read(imap_settings, imap_user, make_mailbox):
    imap_user.append(make_raw(1))
    mailbox = make_mailbox()
    mailbox.channel.is_active = False
    mailbox.channel.save()
    assert imap_poll.poll_mailbox(mailbox.pk).skipped == "channel is off"
    assert mailbox.pk not in imap_poll.due_mailboxes(everyone=True)


def test_the_command_polls_once_and_prints_counts(imap_settings, imap_user, make_mailbox):
    imap_user.append(*(make_raw(n) for n in range(1, 5)))
    mailbox = make_mailbox()
    out = StringIO()
    call_command("imap_poll", "--once", stdout=out)
    assert f"mailbox {mailbox.pk}: 4 fetched, 4 new, 0 already stored" in out.getvalue()
    assert "1 mailboxes polled, 0 failed" in out.getvalue()
    out = StringIO()
    call_command("imap_poll", "--once", "--mailbox", str(mailbox.pk), stdout=out)
    assert f"mailbox {mailbox.pk}: 0 fetched, 0 new" in out.getvalue()


def test_the_periodic_task_reads_due_mailboxes(imap_settings, imap_user, make_mailbox):
    imap_user.append(make_raw(1), make_raw(2))
    mailbox = make_mailbox()
    assert imap_poll.due_mailboxes() == [mailbox.pk]
    imap_poll.poll_imap_mailboxes.call_local()  # tasks run inline in tests
    assert InboundEvent.objects.filter(channel=mailbox.channel).count() == 2
    # Polled just now: not due again within the interval.
    assert imap_poll.due_mailboxes() == []


def test_idle_wakes_on_new_mail(imap_settings, imap_user, make_mailbox, monkeypatch):
    """`imap_idle.watch`: poll, wait in IDLE; mail arriving while it waits is read.

    One thread: the mail is appended (by another connection) just as the watcher
    enters IDLE, and the watcher is stopped once that mail is stored."""
    from frontdesk.connectors.email import imap

    mailbox = make_mailbox()
    stop = threading.Event()
    real_idle, real_receive = imap.ImapSession.idle, receive.receive_raw
    idles: list[float] = []

    def idle_while_mail_arrives(session, seconds):
        idles.append(seconds)
        if len(idles) == 1:
            imap_user.append(make_raw(1, subject="Arrived during IDLE"))
        return real_idle(session, seconds)

    def receive_then_stop(channel, raw, **kwargs):
        result = real_receive(channel, raw, **kwargs)
        stop.set()
        return result

    monkeypatch.setattr(imap.ImapSession, "idle", idle_while_mail_arrives)
    monkeypatch.setattr(receive, "receive_raw", receive_then_stop)

    from frontdesk.channels.email import imap_idle

    assert imap_idle.watch(mailbox.pk, stop, idle_seconds=30) == "stopped"

    assert stop.is_set()
    assert len(idles) == 1, "the first IDLE round must have seen the new mail"
    assert stored_subjects(mailbox.channel) == ["Arrived during IDLE"]


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_and_starttls_with_a_trusted_certificate(
    imap_settings, imap_user, make_mailbox, security
):
    imap_settings.IMAP_CA_FILE = str(imap_user.server.certificate)
    port = imap_user.server.tls_port if security == "ssl" else imap_user.server.port
    imap_user.append(make_raw(1))
    mailbox = make_mailbox(security=security, port=port)
    report = imap_poll.poll_mailbox(mailbox.pk)
    assert (report.stored, report.error) == (1, "")


def test_an_untrusted_certificate_is_refused(imap_settings, imap_user, make_mailbox):
    imap_user.append(make_raw(1))
    mailbox = make_mailbox(security="ssl", port=imap_user.server.tls_port)
    report = imap_poll.poll_mailbox(mailbox.pk)  # the system's CAs do not know it
    assert report.stored == 0
    assert "TLS" in report.error and "certificate" in report.error.lower()
    mailbox.refresh_from_db()
    assert mailbox.state == ImapState.FAILING


def test_error_texts_never_carry_a_secret(imap_settings, make_mailbox):
    mailbox = make_mailbox(password="hunter2-long", oauth_client_secret="s")
    said = "NO [AUTHENTICATIONFAILED] hunter2-long refused"
    assert imap_poll.redact(said, mailbox) == "NO [AUTHENTICATIONFAILED] [secret] refused"


def test_a_state_set_elsewhere_during_a_poll_is_not_overwritten(
    imap_settings, imap_user, make_mailbox, monkeypatch
):
    """Another process marks the mailbox as needing re-authorisation while a poll
    reads it: the poll records that it ran, and the mailbox still needs it."""
    imap_user.append(make_raw(1))
    mailbox = make_mailbox()
    real_read = imap_poll._read

    def read_then_elsewhere(*args, **kwargs):
        real_read(*args, **kwargs)
        ImapMailbox.objects.filter(pk=mailbox.pk).update(state=ImapState.NEEDS_REAUTH)

    monkeypatch.setattr(imap_poll, "_read", read_then_elsewhere)
    report = imap_poll.poll_mailbox(mailbox.pk)

    assert (report.stored, report.error) == (1, "")
    mailbox.refresh_from_db()
    assert mailbox.state == ImapState.NEEDS_REAUTH
    assert mailbox.poll_claimed_at is None and mailbox.last_success_at is not None
