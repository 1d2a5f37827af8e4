"""Turn the bytes of one email into a `ParsedEmail` (the same parser for IMAP, the
built-in SMTP receiver, provider webhooks and `frontdesk email parse`).

Pure: no database, no Frontdesk app. `parse_message` never raises on bad mail; it
raises `EmailParseError` only when the bytes are not a message at all (empty input).
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime


class EmailParseError(ValueError):
    """The input is not an email message at all."""


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes
    # The part's Content-ID without <>, for `cid:` references in the HTML; "" if none.
    content_id: str = ""
    # Shown in place in the HTML (an inline image) rather than listed as a file.
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True, kw_only=True)
class ParsedEmail:
    message_id: str = ""  # with its <>
    in_reply_to: str = ""  # with its <>
    references: tuple[str, ...] = ()  # each with its <>, oldest first
    subject: str = ""
    from_name: str = ""
    from_address: str = ""  # lower-cased
    to: tuple[tuple[str, str], ...] = ()  # (name, address)
    cc: tuple[tuple[str, str], ...] = ()
    reply_to: tuple[tuple[str, str], ...] = ()
    date: datetime | None = None  # aware
    # The visible new text: quoted history and signature trimmed.
    body_text: str = ""
    # The whole text part (or the HTML converted to text), nothing trimmed.
    body_text_full: str = ""
    # Sanitised HTML ("" when the mail had no HTML part), `cid:` links left as they are.
    body_html: str = ""
    attachments: tuple[ParsedAttachment, ...] = ()
    is_auto_reply: bool = False
    is_bounce: bool = False
    is_list_mail: bool = False
    # For a bounce: the addresses that failed and the reason the report gave.
    bounced_recipients: tuple[str, ...] = ()
    bounce_reason: str = ""
    language: str = ""  # ISO 639-1, "" when unsure
    # Header names lower-cased, first value of each, decoded (for threading signals).
    headers: dict[str, str] = field(default_factory=dict)
    # What the parser had to work around (bad charset, broken header), for operators.
    defects: tuple[str, ...] = ()


def parse_message(raw: bytes) -> ParsedEmail:
    """A first, plain implementation: headers and the text part."""
    if not raw or not raw.strip():
        raise EmailParseError("empty input")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    headers = {k.lower(): str(v) for k, v in msg.items()}
    name, address = parseaddr(headers.get("from", ""))
    date = None
    try:
        date = parsedate_to_datetime(headers["date"]) if "date" in headers else None
    except (TypeError, ValueError):
        date = None
    part = msg.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    return ParsedEmail(
        message_id=headers.get("message-id", "").strip(),
        in_reply_to=headers.get("in-reply-to", "").strip(),
        references=tuple(headers.get("references", "").split()),
        subject=headers.get("subject", ""),
        from_name=name,
        from_address=address.lower(),
        to=tuple(getaddresses([headers.get("to", "")])),
        cc=tuple(getaddresses([headers.get("cc", "")])),
        date=date if date is not None and date.tzinfo is not None else None,
        body_text=text.strip(),
        body_text_full=text,
        headers=headers,
    )
