"""Read IMAP mailboxes into the inbox: a periodic task in the worker, `frontdesk
imap_poll`; IMAP IDLE waits between polls live in imap_idle.py.

One poll of one mailbox: claim it (a conditional UPDATE, so two workers never read it
at once), get a fresh OAuth2 access token if it uses one (storing a rotated refresh
token at once), sign in, compare the folder's UIDVALIDITY with the stored one, then
hand every message above the watermark, in UID order and in batches, to
`receive.receive_raw`, and move the watermark to a message's UID only after that call
returned (the message is durable). So an interrupted poll resumes after the last
stored message, and nothing is fetched twice; after a UIDVALIDITY change the folder
is read again from the start, and receive_raw's dedupe (Message-ID + content) keeps
what was stored before from being stored twice.

Failures are kept on the mailbox for the admin page: a refused sign-in or a broken
OAuth2 grant marks it "needs re-authorisation" (it is not polled until an admin
fixes it); anything else marks it failing and the next poll retries.
"""

from __future__ import annotations

import imaplib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task
from imapclient.exceptions import IMAPClientError

from frontdesk.channels.email import receive
from frontdesk.channels.email.imap_models import ImapAuth, ImapMailbox, ImapState
from frontdesk.connectors.email import imap, oauth

logger = logging.getLogger(__name__)

VIA = "imap"
# Shorter secrets are not searched for in error texts (see `redact`).
MIN_REDACTED = 6
# A claim older than this belongs to a poll that died; each stored message renews it.
CLAIM_TIMEOUT = timedelta(minutes=10)


def poll_interval() -> timedelta:
    return timedelta(seconds=getattr(settings, "IMAP_POLL_SECONDS", 60))


def batch_size() -> int:
    return int(getattr(settings, "IMAP_BATCH_SIZE", imap.DEFAULT_BATCH_SIZE))


@dataclass
class PollReport:
    """What one poll of one mailbox did (for the command's output, logs and tests)."""

    mailbox_id: int
    skipped: str = ""  # why nothing was tried: "claimed", "paused", ...
    fetched: int = 0  # messages read from the server
    stored: int = 0  # of those, new to Frontdesk
    duplicates: int = 0  # already stored (after a UIDVALIDITY change, mostly)
    deleted: int = 0
    reset: bool = False  # the server's UIDVALIDITY changed: read again from the start
    uids: list[int] = field(default_factory=list)
    error: str = ""

    def summary(self) -> str:
        if self.skipped:
            return f"skipped ({self.skipped})"
        text = (
            f"{self.fetched} fetched, {self.stored} new, {self.duplicates} already stored"
            + (f", {self.deleted} deleted on the server" if self.deleted else "")
            + (" (UIDVALIDITY changed: folder read again)" if self.reset else "")
        )
        return text + (f"; error: {self.error}" if self.error else "")


# --- accounts and tokens -----------------------------------------------------------------


def oauth_client_for(mailbox: ImapMailbox) -> oauth.OAuthClient:
    return oauth.OAuthClient(
        token_url=mailbox.oauth_token_url,
        authorize_url=mailbox.oauth_authorize_url,
        client_id=mailbox.oauth_client_id,
        client_secret=mailbox.oauth_client_secret,
        scope=mailbox.oauth_scope,
    )


def store_tokens(mailbox: ImapMailbox, tokens: oauth.TokenSet) -> None:
    """Keep a granted access token, and a rotated refresh token (the old one may
    already be void), on the mailbox row at once."""
    mailbox.oauth_access_token = tokens.access_token
    mailbox.oauth_access_token_expires_at = tokens.expires_at
    fields = ["oauth_access_token", "oauth_access_token_expires_at", "updated_at"]
    if tokens.refresh_token and tokens.refresh_token != mailbox.oauth_refresh_token:
        mailbox.oauth_refresh_token = tokens.refresh_token
        fields.append("oauth_refresh_token")
        logger.info("imap oauth refresh token rotated", extra={"mailbox": mailbox.pk})
    mailbox.save(update_fields=fields)


def access_token_for(mailbox: ImapMailbox, *, force: bool = False) -> str:
    """A usable access token: the stored one, or a new one from the token endpoint.
    Raises oauth.OAuthError."""
    now = timezone.now()
    if (
        not force
        and mailbox.oauth_access_token
        and not oauth.needs_refresh(mailbox.oauth_access_token_expires_at, now=now)
    ):
        return mailbox.oauth_access_token
    tokens = oauth.refresh_access_token(
        oauth_client_for(mailbox), mailbox.oauth_refresh_token, now=now
    )
    store_tokens(mailbox, tokens)
    return tokens.access_token


def account_for(mailbox: ImapMailbox, *, access_token: str = "") -> imap.ImapAccount:
    return imap.ImapAccount(
        host=mailbox.host.strip(),
        port=mailbox.port,
        security=mailbox.security,  # type: ignore[arg-type]  # one of ImapSecurity
        username=mailbox.username.strip(),
        password="" if mailbox.uses_oauth else mailbox.password,
        access_token=access_token if mailbox.uses_oauth else "",
        folder=mailbox.folder,
        timeout=float(getattr(settings, "IMAP_TIMEOUT_SECONDS", imap.DEFAULT_TIMEOUT_SECONDS)),
        ca_file=getattr(settings, "IMAP_CA_FILE", ""),
    )


def _secrets(mailbox: ImapMailbox) -> list[str]:
    return [
        s
        for s in (
            mailbox.password,
            mailbox.oauth_access_token,
            mailbox.oauth_refresh_token,
            mailbox.oauth_client_secret,
        )
        if s
    ]


def redact(text: str, mailbox: ImapMailbox) -> str:
    """`text` with every secret of the mailbox replaced (errors are shown and logged)."""
    for secret in _secrets(mailbox):
        # A secret of a few characters would also match ordinary words.
        if len(secret) >= MIN_REDACTED:
            text = text.replace(secret, "[secret]")
    return text[:1000]


# --- claiming ----------------------------------------------------------------------------


def _claim(mailbox_id: int) -> bool:
    now = timezone.now()
    return bool(
        ImapMailbox.objects.filter(pk=mailbox_id, state__in=[ImapState.ACTIVE, ImapState.FAILING])
        .filter(Q(poll_claimed_at__isnull=True) | Q(poll_claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(poll_claimed_at=now)
    )


def _finish(mailbox: ImapMailbox, *, state: str, error: str = "") -> None:
    now = timezone.now()
    values: dict[str, object] = {
        "poll_claimed_at": None,
        "last_polled_at": now,
        "state": state,
        "last_error": error,
    }
    if error:
        values["last_error_at"] = now
    else:
        values["last_success_at"] = now
    rows = ImapMailbox.objects.filter(pk=mailbox.pk)
    # A poll moves a mailbox only between the states it owns. One set elsewhere while
    # it ran (needs re-authorisation, found by another process; switched off by an
    # admin) stands: the poll records its time and error, not its state.
    if not rows.filter(state__in=[ImapState.ACTIVE, ImapState.FAILING]).update(**values):
        del values["state"]
        rows.update(**values)


# --- one poll ----------------------------------------------------------------------------


def poll_mailbox(mailbox_id: int, *, batch: int | None = None) -> PollReport:
    """Read one mailbox's new mail into the inbox (see the module docstring).

    Never raises for the server's or the token endpoint's failures: they are recorded
    on the mailbox (and returned in the report). Safe to call at any time from
    anywhere: a mailbox already being read elsewhere is skipped.
    """
    report = PollReport(mailbox_id)
    if not _claim(mailbox_id):
        row = ImapMailbox.objects.filter(pk=mailbox_id).values_list("state", flat=True).first()
        report.skipped = (
            "not found"
            if row is None
            else (
                "being read"
                if row
                in (
                    ImapState.ACTIVE,
                    ImapState.FAILING,
                )
                else str(row)
            )
        )
        return report
    mailbox = ImapMailbox.objects.select_related("channel").get(pk=mailbox_id)
    if not mailbox.channel.is_active:
        ImapMailbox.objects.filter(pk=mailbox.pk).update(poll_claimed_at=None)
        report.skipped = "channel is off"
        return report
    try:
        _read(mailbox, report, batch or batch_size())
    except oauth.OAuthError as exc:
        report.error = redact(exc.message, mailbox)
        state = ImapState.NEEDS_REAUTH if exc.needs_reauthorisation else ImapState.FAILING
        _finish(mailbox, state=state, error=report.error)
        logger.warning(
            "imap oauth refresh failed",
            extra={"mailbox": mailbox.pk, "oauth_error": exc.code, "state": state},
        )
    except imap.ImapError as exc:
        report.error = redact(exc.message, mailbox)
        state = ImapState.NEEDS_REAUTH if exc.auth_failed else ImapState.FAILING
        _finish(mailbox, state=state, error=report.error)
        logger.warning("imap poll failed", extra={"mailbox": mailbox.pk, "error": report.error})
    except _StoreFailed as exc:
        report.error = redact(str(exc), mailbox)
        _finish(mailbox, state=ImapState.FAILING, error=report.error)
        logger.error("imap message not stored", extra={"mailbox": mailbox.pk})
    except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
        # The connection broke mid-poll (server restart, network): the watermark
        # stands at the last stored message and the next poll resumes there.
        report.error = redact(
            f"The connection to {mailbox.host} broke: {type(exc).__name__}: {exc}", mailbox
        )
        _finish(mailbox, state=ImapState.FAILING, error=report.error)
        logger.warning("imap poll interrupted", extra={"mailbox": mailbox.pk})
    except Exception as exc:
        # Anything else (a bug, the database): recorded, the claim released, retried.
        report.error = redact(f"{type(exc).__name__}: {exc}", mailbox)
        _finish(mailbox, state=ImapState.FAILING, error=report.error)
        logger.exception("imap poll failed unexpectedly", extra={"mailbox": mailbox.pk})
    else:
        _finish(mailbox, state=ImapState.ACTIVE)
    if not report.error:
        logger.info(
            "imap poll",
            extra={
                "mailbox": mailbox.pk,
                "fetched": report.fetched,
                "stored": report.stored,
                "duplicates": report.duplicates,
                "uidvalidity_reset": report.reset,
            },
        )
    return report


class _StoreFailed(Exception):
    """receive_raw raised: the message is not durable, so the watermark stays."""


def _connect(mailbox: ImapMailbox) -> imap.ImapSession:
    readonly = not mailbox.delete_after_import
    if not mailbox.uses_oauth:
        return imap.connect(account_for(mailbox), readonly=readonly)
    fresh = mailbox.token_expired(timezone.now())
    token = access_token_for(mailbox)
    try:
        return imap.connect(account_for(mailbox, access_token=token), readonly=readonly)
    except imap.ImapError as exc:
        if not exc.auth_failed or fresh:
            raise
    # A stored token the server refused before its expiry (revoked early): once more
    # with a new one; a refusal then is the mailbox's to fix.
    token = access_token_for(mailbox, force=True)
    return imap.connect(account_for(mailbox, access_token=token), readonly=readonly)


def _read(mailbox: ImapMailbox, report: PollReport, batch: int) -> None:
    session = _connect(mailbox)
    try:
        cursor = imap.ImapCursor(mailbox.uidvalidity, mailbox.last_uid)
        scan = session.scan(cursor)
        if scan.reset or mailbox.uidvalidity is None:
            first_read = mailbox.uidvalidity is None
            _start_over(mailbox, scan)
            report.reset = scan.reset
            if first_read and not mailbox.import_existing:
                # Only mail from now on: the watermark starts above what is there.
                _skip_existing(mailbox, scan)
                return
        to_delete: list[int] = []
        for message, after in session.messages(scan, batch_size=batch):
            report.fetched += 1
            report.uids.append(message.uid)
            try:
                result = receive.receive_raw(mailbox.channel, message.raw, via=VIA)
            except Exception as exc:
                raise _StoreFailed(
                    f"Message UID {message.uid} could not be stored ({type(exc).__name__}: "
                    f"{exc}); the import resumes from it on the next poll."
                ) from exc
            created = bool(result.created)
            report.stored += created
            report.duplicates += not created
            # Durable: the watermark may move past it (never backwards).
            ImapMailbox.objects.filter(
                pk=mailbox.pk, uidvalidity=after.uidvalidity, last_uid__lt=after.last_uid
            ).update(
                last_uid=after.last_uid,
                imported_count=F("imported_count") + int(created),
                poll_claimed_at=timezone.now(),
            )
            if mailbox.delete_after_import:
                to_delete.append(message.uid)
                if len(to_delete) >= batch:
                    report.deleted += _delete(session, to_delete)
                    to_delete = []
        if to_delete:
            report.deleted += _delete(session, to_delete)
    finally:
        session.close()


def _skip_existing(mailbox: ImapMailbox, scan: imap.Scan) -> None:
    top = max(scan.uids, default=0)
    ImapMailbox.objects.filter(pk=mailbox.pk).update(last_uid=top)
    mailbox.last_uid = top
    logger.info(
        "imap mailbox starts after its existing mail",
        extra={"mailbox": mailbox.pk, "skipped": len(scan.uids)},
    )


def _delete(session: imap.ImapSession, uids: list[int]) -> int:
    expunged = session.delete(uids)
    return len(uids) if expunged else 0


def _start_over(mailbox: ImapMailbox, scan: imap.Scan) -> None:
    """Store the server's UIDVALIDITY; after a change, the watermark goes back to 0."""
    values: dict[str, object] = {"uidvalidity": scan.status.uidvalidity, "last_uid": 0}
    if scan.reset:
        values |= {
            "previous_uidvalidity": scan.previous_uidvalidity,
            "uidvalidity_changed_at": timezone.now(),
        }
        logger.warning(
            "imap UIDVALIDITY changed: reading the folder again from the start",
            extra={
                "mailbox": mailbox.pk,
                "previous_uidvalidity": scan.previous_uidvalidity,
                "uidvalidity": scan.status.uidvalidity,
                "messages": len(scan.uids),
            },
        )
    ImapMailbox.objects.filter(pk=mailbox.pk).update(**values)
    for name, value in values.items():
        setattr(mailbox, name, value)


# --- many mailboxes ----------------------------------------------------------------------


def due_mailboxes(*, everyone: bool = False) -> list[int]:
    """Ids of mailboxes to poll now: working or failing, on an active channel, not
    polled within the interval (`everyone`: regardless of the interval)."""
    rows = ImapMailbox.objects.filter(
        state__in=[ImapState.ACTIVE, ImapState.FAILING], channel__is_active=True
    )
    if not everyone:
        since = timezone.now() - poll_interval() + timedelta(seconds=5)
        rows = rows.filter(Q(last_polled_at__isnull=True) | Q(last_polled_at__lt=since))
    return list(rows.order_by("last_polled_at", "pk").values_list("pk", flat=True))


def poll_all(*, everyone: bool = True) -> list[PollReport]:
    """Poll every due mailbox here, one after another (the command's --once)."""
    return [poll_mailbox(pk) for pk in due_mailboxes(everyone=everyone)]


# --- tasks -------------------------------------------------------------------------------


@db_task()
def poll_imap_mailbox(mailbox_id: int) -> None:
    poll_mailbox(mailbox_id)


@db_periodic_task(crontab(minute="*"))
def poll_imap_mailboxes() -> None:
    """Every minute: a task per due mailbox, so several workers share the reading."""
    for pk in due_mailboxes():
        poll_imap_mailbox(pk)


__all__ = [
    "ImapAuth",
    "PollReport",
    "poll_all",
    "poll_mailbox",
]
