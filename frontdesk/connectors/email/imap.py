"""Read a mailbox by IMAP: everything after a watermark, never by flags or dates.

Pure: no database, no Frontdesk app. The caller hands an `ImapAccount` (frozen) and
the `ImapCursor` it stored last time and gets back raw messages, each with the cursor
to store once that message is durable.

Wire-format facts relied on (RFC 3501 / RFC 9051, RFC 4315, RFC 2177, Google's and
Microsoft's XOAUTH2 notes):

- A UID is unique and ascending within one UIDVALIDITY of a mailbox. A server that
  cannot keep its UIDs (the mailbox was recreated, restored from a backup) announces a
  new UIDVALIDITY, and every UID stored before means nothing: the scan starts again
  from the beginning (the caller's dedupe on Message-ID + content keeps that safe).
- `UID SEARCH UID n:*` also returns the highest UID when there is none above n (`*`
  is "the largest UID in use" and the range is unordered), so results are filtered.
- `BODY.PEEK[]` fetches the whole message without setting \\Seen; the mailbox is
  opened with EXAMINE (read-only) unless the admin asked to delete imported mail, so
  no flag can change at all.
- Deleting is `UID STORE +FLAGS.SILENT (\\Deleted)` then `UID EXPUNGE` of exactly those
  UIDs (UIDPLUS); without UIDPLUS the messages are only flagged, because a plain
  EXPUNGE would also remove mail someone else flagged.
- XOAUTH2 is the SASL string `user=<u>^Aauth=Bearer <token>^A^A`; on failure the server
  sends a JSON error as a continuation, which the client answers with an empty line.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import json
import logging
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from frontdesk.connectors.base import ConnectorError

# IMAPClient traces the whole protocol at DEBUG on this logger: customers' mail (and
# XOAUTH2 exchanges) would land in the logs of anyone who turns DEBUG on.
logging.getLogger("imapclient.imaplib").setLevel(logging.WARNING)

Security = Literal["ssl", "starttls", "none"]
DEFAULT_BATCH_SIZE = 25
DEFAULT_TIMEOUT_SECONDS = 30.0
FETCH_ITEMS = [b"BODY.PEEK[]", b"FLAGS", b"INTERNALDATE"]


@dataclass(frozen=True, kw_only=True)
class ImapAccount:
    """How to reach and sign in to one mailbox. Exactly one of `password` and
    `access_token` (an OAuth2 bearer token, for XOAUTH2) is set."""

    host: str
    port: int
    security: Security = "ssl"
    username: str
    password: str = ""
    access_token: str = ""
    folder: str = "INBOX"
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    # A CA bundle to trust instead of the system's (a private mail server).
    ca_file: str = ""

    def __post_init__(self) -> None:
        if bool(self.password) == bool(self.access_token):
            raise ValueError("an IMAP account needs a password or an access token, not both")

    def __repr__(self) -> str:  # never print the secret
        return (
            f"ImapAccount(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"username={self.username!r}, folder={self.folder!r}, "
            f"auth={'xoauth2' if self.access_token else 'password'})"
        )


@dataclass(frozen=True)
class ImapCursor:
    """Where the last import stopped: the mailbox's UIDVALIDITY and the highest UID
    stored under it (0: nothing yet). `uidvalidity` None: never scanned."""

    uidvalidity: int | None = None
    last_uid: int = 0


@dataclass(frozen=True)
class MailboxStatus:
    uidvalidity: int
    uidnext: int | None
    exists: int


@dataclass(frozen=True)
class FetchedMessage:
    uid: int
    raw: bytes
    flags: tuple[str, ...]
    internal_date: datetime | None


@dataclass(frozen=True)
class Scan:
    """What one look at the mailbox found, before any message is fetched.

    `reset` is true when the server's UIDVALIDITY differs from the cursor's: the
    stored watermark is void and the scan starts from UID 1. `uids` are the UIDs
    above the (possibly reset) watermark, ascending.
    """

    status: MailboxStatus
    reset: bool
    previous_uidvalidity: int | None
    uids: tuple[int, ...]
    after_uid: int = 0

    @property
    def start(self) -> ImapCursor:
        """The cursor before the first new message (what to store after a reset)."""
        return ImapCursor(self.status.uidvalidity, self.after_uid)


class ImapError(ConnectorError):
    """The server refused or the connection failed. `auth_failed` means the server
    refused the credentials (a person must act); anything else is retried."""

    def __init__(self, message: str, *, permanent: bool, auth_failed: bool = False) -> None:
        super().__init__(message, permanent=permanent, code="auth_failed" if auth_failed else None)
        self.auth_failed = auth_failed


def xoauth2_string(username: str, access_token: str) -> bytes:
    """The XOAUTH2 initial client response (before base64, which imaplib adds)."""
    return f"user={username}\x01auth=Bearer {access_token}\x01\x01".encode()


class _XOAuth2:
    """SASL callback: the auth string first; then, if the server answers with an error
    challenge, an empty response (so the server ends with NO) and the error kept."""

    def __init__(self, username: str, token: str) -> None:
        self.initial = xoauth2_string(username, token)
        self.sent = False
        self.error: dict[str, Any] = {}

    def __call__(self, challenge: bytes) -> bytes:
        if not self.sent:
            self.sent = True
            return self.initial
        try:
            self.error = json.loads(challenge or b"{}")
        except ValueError:
            try:
                self.error = json.loads(base64.b64decode(challenge))
            except (ValueError, TypeError):
                self.error = {"status": challenge.decode("ascii", "replace")[:200]}
        return b""


def _ssl_context(account: ImapAccount) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=account.ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _redact(text: str, account: ImapAccount) -> str:
    for secret in (account.password, account.access_token):
        if len(secret) >= 6:  # a shorter one would also match ordinary words
            text = text.replace(secret, "[secret]")
    return text


class ImapSession:
    """One signed-in connection, a mailbox selected. Use `connect()`."""

    def __init__(self, account: ImapAccount, client: IMAPClient, *, readonly: bool) -> None:
        self.account = account
        self.client = client
        self.readonly = readonly
        self.status: MailboxStatus | None = None

    # --- opening ------------------------------------------------------------------------

    def select(self) -> MailboxStatus:
        """Select the account's folder (EXAMINE when read-only) and read its status."""
        try:
            info = self.client.select_folder(self.account.folder, readonly=self.readonly)
        except IMAPClientError as exc:
            message = _redact(_text(exc), self.account)
            raise ImapError(
                f"The folder “{self.account.folder}” could not be opened: {message}",
                permanent=False,
            ) from None
        uidvalidity = info.get(b"UIDVALIDITY")
        if uidvalidity is None:
            raise ImapError("The server did not report the folder's UIDVALIDITY.", permanent=False)
        uidnext = info.get(b"UIDNEXT")
        self.status = MailboxStatus(
            uidvalidity=int(uidvalidity),
            uidnext=int(uidnext) if uidnext is not None else None,
            exists=int(info.get(b"EXISTS", 0)),
        )
        return self.status

    # --- reading ------------------------------------------------------------------------

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above `last_uid`, ascending (the `n:*` quirk filtered out)."""
        found = self.client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in (int(u) for u in found) if uid > last_uid)

    def scan(self, cursor: ImapCursor) -> Scan:
        """Compare the server's UIDVALIDITY with the cursor's and list what is new."""
        status = self.status or self.select()
        reset = cursor.uidvalidity is not None and cursor.uidvalidity != status.uidvalidity
        after = 0 if reset or cursor.uidvalidity is None else cursor.last_uid
        uids = self.uids_after(after) if status.exists else []
        return Scan(
            status=status,
            reset=reset,
            previous_uidvalidity=cursor.uidvalidity if reset else None,
            uids=tuple(uids),
            after_uid=after,
        )

    def fetch(self, uids: Sequence[int]) -> list[FetchedMessage]:
        """The whole messages with these UIDs (BODY.PEEK: \\Seen is not set), ascending.
        A UID expunged since the search is simply missing."""
        if not uids:
            return []
        response = self.client.fetch(list(uids), FETCH_ITEMS)
        messages = []
        for uid in sorted(response):
            data = response[uid]
            raw = data.get(b"BODY[]")
            if raw is None:
                continue
            flags = tuple(_text(flag) for flag in data.get(b"FLAGS", ()))
            date = data.get(b"INTERNALDATE")
            messages.append(
                FetchedMessage(
                    uid=int(uid),
                    raw=bytes(raw),
                    flags=flags,
                    internal_date=date if isinstance(date, datetime) else None,
                )
            )
        return messages

    def messages(
        self, scan: Scan, *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> Iterator[tuple[FetchedMessage, ImapCursor]]:
        """Each new message in UID order, fetched `batch_size` at a time, with the cursor
        to store once it is durable (so an interruption resumes right after it)."""
        uidvalidity = scan.status.uidvalidity
        for start in range(0, len(scan.uids), batch_size):
            for message in self.fetch(scan.uids[start : start + batch_size]):
                yield message, ImapCursor(uidvalidity, message.uid)

    # --- writing (only when the admin asked) -------------------------------------------

    def delete(self, uids: Sequence[int]) -> bool:
        """Flag these UIDs \\Deleted and expunge exactly them (UIDPLUS). Returns whether
        they were expunged (False: only flagged, the server lacks UIDPLUS)."""
        if self.readonly:
            raise ValueError("the mailbox was opened read-only")
        if not uids:
            return True
        self.client.add_flags(list(uids), [b"\\Deleted"], silent=True)
        if self.client.has_capability("UIDPLUS"):
            self.client.uid_expunge(list(uids))
            return True
        return False

    # --- waiting ------------------------------------------------------------------------

    def idle(self, seconds: float) -> bool:
        """Wait up to `seconds` in IDLE (RFC 2177); True when the server said something
        changed (new mail). Servers drop IDLE after 30 minutes: keep it well under."""
        if not self.client.has_capability("IDLE"):
            raise ImapError("The server does not support IDLE.", permanent=True)
        # Mail that arrived since the last command is announced to the next one: a
        # NOOP first, so it is not missed while waiting for the *next* change.
        _text_noop, pending = self.client.noop()
        if _announces_mail(pending):
            return True
        self.client.idle()
        try:
            responses = self.client.idle_check(timeout=seconds)
        finally:
            _text_done, late = self.client.idle_done()
        return _announces_mail(responses) or _announces_mail(late)

    def close(self) -> None:
        # The connection may already be gone (that is often why we close it).
        try:
            self.client.logout()
        except (OSError, IMAPClientError, imaplib.IMAP4.error):
            with contextlib.suppress(OSError, IMAPClientError, imaplib.IMAP4.error):
                self.client.shutdown()


def _announces_mail(responses: Any) -> bool:
    """Whether untagged responses (`(n, b"EXISTS")`, ...) say the folder grew."""
    return any(
        isinstance(item, tuple) and len(item) >= 2 and item[1] in (b"EXISTS", b"RECENT")
        for item in responses or ()
    )


def connect(account: ImapAccount, *, readonly: bool = True) -> ImapSession:
    """Connect, secure, sign in (LOGIN or XOAUTH2) and select the folder.

    Raises ImapError: `auth_failed` when the server refused the credentials,
    temporary for anything a retry may fix (refused connection, timeout, TLS).
    """
    try:
        client = IMAPClient(
            account.host,
            port=account.port,
            ssl=account.security == "ssl",
            ssl_context=_ssl_context(account) if account.security != "none" else None,
            timeout=account.timeout,
        )
    except ssl.SSLError as exc:
        raise ImapError(f"TLS with {account.host} failed: {exc}", permanent=False) from None
    except (TimeoutError, OSError, IMAPClientError) as exc:
        raise ImapError(
            f"Could not connect to {account.host}:{account.port}: {_redact(_text(exc), account)}",
            permanent=False,
        ) from None
    session = ImapSession(account, client, readonly=readonly)
    try:
        if account.security == "starttls":
            client.starttls(_ssl_context(account))
        _login(account, client)
        session.select()
    except ImapError:
        session.close()
        raise
    except ssl.SSLError as exc:
        session.close()
        raise ImapError(f"TLS with {account.host} failed: {exc}", permanent=False) from None
    except (OSError, IMAPClientError) as exc:
        session.close()
        raise ImapError(
            f"The IMAP session failed: {_redact(_text(exc), account)}", permanent=False
        ) from None
    return session


def _login(account: ImapAccount, client: IMAPClient) -> None:
    try:
        if account.access_token:
            mechanism = _XOAuth2(account.username, account.access_token)
            try:
                client.sasl_login("XOAUTH2", mechanism)
            except LoginError:
                detail = mechanism.error.get("status") or "refused"
                raise ImapError(
                    f"The server refused the OAuth2 access token ({detail}).",
                    permanent=True,
                    auth_failed=True,
                ) from None
        else:
            client.login(account.username, account.password)
    except LoginError as exc:
        raise ImapError(
            "The server refused the username or password: " + _redact(_text(exc), account).strip(),
            permanent=True,
            auth_failed=True,
        ) from None
