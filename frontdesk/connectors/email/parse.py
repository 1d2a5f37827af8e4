"""Turn the bytes of one email into a `ParsedEmail` (the same parser for IMAP, the
built-in SMTP receiver, provider webhooks and `frontdesk email parse`).

Pure: no database, no Frontdesk app. `parse_message` never raises on bad mail; it
raises `EmailParseError` only when the bytes are not a message at all (empty input).
What it had to work around is listed in `ParsedEmail.defects`.

How it reads a message (RFC 5322, RFC 2045-2049 and what real clients send):
- The MIME structure comes from Python's `email` feed parser, which never raises and
  records defects; parts are read through compat32's tolerant accessors (raw values,
  nothing re-parsed), and address headers through `email.policy.default`'s modern
  parser, falling back to compat32's `getaddresses` where that parser raises.
  Other headers go through `headers.header_text` (broken RFC 2047 words, raw 8-bit).
- Transfer encodings: base64, quoted-printable, x-uuencode, 7bit/8bit/binary, and the
  misspelt ones ("quoted-printable " with a space, "Base64;").
- Charsets: `charsets.decode_bytes` (aliases, cp50220, UTF-7/16, detection).
- Bodies: multipart/alternative picks the richest text and HTML alternatives,
  multipart/related takes its root (the ``start`` parameter, else the first part) and
  keeps the rest as `cid:` resources, multipart/mixed joins its inline text parts in
  order (Apple Mail splits text around pictures) and keeps the rest as attachments;
  message/rfc822 parts become ``.eml`` attachments; text/plain with
  ``format=flowed`` (RFC 3676) is unwrapped.
- Bounces: the message/delivery-status part of a multipart/report (RFC 3464), else
  the text of a MAILER-DAEMON message.
"""

from __future__ import annotations

import binascii
import email
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from html import escape
from io import BytesIO

from frontdesk.connectors.email import signals
from frontdesk.connectors.email.charsets import decode_bytes
from frontdesk.connectors.email.headers import (
    addresses,
    header_text,
    message_ids,
    param,
    parse_date,
)
from frontdesk.connectors.email.htmltext import (
    MAX_HTML_CHARS,
    MAX_NESTING,
    html_to_text,
    sanitise,
    strip_markers,
    too_deep,
)
from frontdesk.connectors.email.language import detect_language
from frontdesk.connectors.email.quotes import visible_reply


class EmailParseError(ValueError):
    """The input is not an email message at all."""


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str  # decoded, no folder part; "attachment-N.ext" when the mail gave none
    content_type: str  # lower-cased "type/subtype"
    data: bytes  # decoded (base64 etc. undone); a forwarded message/rfc822 as its bytes
    # The part's Content-ID without <>, for `cid:` references in the HTML; "" if none.
    content_id: str = ""
    # Shown in place in the HTML (an inline image) rather than listed as a file:
    # its Content-ID is referenced by a `cid:` link of the HTML body.
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
    to: tuple[tuple[str, str], ...] = ()  # (name, address); addresses lower-cased
    cc: tuple[tuple[str, str], ...] = ()
    reply_to: tuple[tuple[str, str], ...] = ()
    date: datetime | None = None  # aware (a date without a zone is taken as UTC)
    # The visible new text: quoted history and signature trimmed.
    body_text: str = ""
    # The whole text part (or the HTML converted to text), nothing trimmed.
    body_text_full: str = ""
    # Sanitised HTML ("" when the mail had no HTML part), `cid:` links left as they are.
    body_html: str = ""
    attachments: tuple[ParsedAttachment, ...] = ()
    # Machine-sent: an auto-reply, out-of-office, delivery report or bounce (never
    # acknowledge it). List mail alone does not set it.
    is_auto_reply: bool = False
    is_bounce: bool = False
    is_list_mail: bool = False
    # For a bounce: the addresses that failed and the reason the report gave.
    bounced_recipients: tuple[str, ...] = ()
    bounce_reason: str = ""
    # For a bounce: the Message-ID of the returned message (its message/rfc822 or
    # text/rfc822-headers part), "" when the report did not include it.
    bounced_message_id: str = ""
    language: str = ""  # ISO 639-1 of body_text, "" when unsure
    # Header names lower-cased, first value of each, decoded (for threading signals).
    headers: dict[str, str] = field(default_factory=dict)
    # What the parser had to work around (bad charset, broken header), for operators.
    defects: tuple[str, ...] = ()


_MAX_DEPTH = 30
# A text part shorter than this beside a large HTML part may be a placeholder.
_SHORT_PLAIN = 200
_TEXT_TYPES = ("text/plain", "text/html")
_BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_LOOKS_HTML = re.compile(r"^\s*(?:<!doctype html|<html[\s>]|<head[\s>]|<body[\s>])", re.I)
_CID_LINK = re.compile(r"""cid:([^"'\s>)]+)""", re.IGNORECASE)
_PYTHON_CTE = frozenset(
    {"", "7bit", "8bit", "binary", "quoted-printable", "base64"}
    | {"x-uuencode", "uuencode", "uue", "x-uue"}
)


class _Collected:
    """What a walk through the MIME tree found."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[tuple[Message, str, bool]] = []  # part, type, in related
        self.reports: list[Message] = []  # message/delivery-status parts

    def take(self, other: _Collected, *, plain: bool, html: bool) -> None:
        if plain:
            self.plain += other.plain
        if html:
            self.html += other.html
        self.attachments += other.attachments
        self.reports += other.reports


class _Reader:
    def __init__(self, defects: list[str]) -> None:
        self.defects = defects
        self.hint: str | None = None  # the first charset a text part declares
        # Each part's header fields, read once (parts live as long as the reader).
        self._fields: dict[int, dict[str, str]] = {}

    # -- parts ------------------------------------------------------------------------
    def content_type(self, part: Message) -> str:
        try:
            return part.get_content_type()
        except Exception:
            self.defects.append("mime: unreadable Content-Type, read as text/plain")
            return "text/plain"

    def raw(self, part: Message, name: str) -> str:
        """The first raw value of header `name` (lower case) of `part`, "" if none."""
        fields = self._fields.get(id(part))
        if fields is None:
            fields = {}
            for key, value in part.raw_items():
                fields.setdefault(key.lower(), value if isinstance(value, str) else str(value))
            self._fields[id(part)] = fields
        return fields.get(name, "")

    def disposition(self, part: Message) -> str:
        value = self.raw(part, "content-disposition")
        return value.split(";", 1)[0].strip().strip('"').lower()

    def charset(self, part: Message) -> str:
        return param(self.raw(part, "content-type"), "charset", self.defects).lower()

    def payload(self, part: Message) -> bytes:
        """The part's bytes with its transfer encoding undone."""
        raw_cte = self.raw(part, "content-transfer-encoding")
        cte = raw_cte.strip().strip('"').lower()
        try:
            data = part.get_payload(decode=True)
        except Exception:
            self.defects.append(f"mime: could not undo transfer encoding {cte!r}")
            data = self._raw_payload(part)
        if not isinstance(data, bytes):
            return b""
        if raw_cte.lower() not in _PYTHON_CTE:
            # "base64;", "quoted-printable " and friends: Python passes them through.
            if "base64" in cte:
                self.defects.append(f"mime: transfer encoding {cte!r} read as base64")
                data = _b64(data)
            elif "quoted" in cte or cte == "qp":
                self.defects.append(f"mime: transfer encoding {cte!r} read as quoted-printable")
                data = binascii.a2b_qp(data)
        return data

    def _raw_payload(self, part: Message) -> bytes:
        value = part.get_payload()
        if isinstance(value, str):
            return value.encode("utf-8", "surrogateescape")
        return b""

    def text(self, part: Message, ctype: str) -> str:
        data = self.payload(part)
        charset = self.charset(part)
        if charset and self.hint is None:
            self.hint = charset
        text = decode_bytes(data, charset, self.defects, what=ctype)
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        if ctype == "text/plain":
            content_type = self.raw(part, "content-type")
            if param(content_type, "format", self.defects).lower() == "flowed":
                delsp = param(content_type, "delsp", self.defects).lower() == "yes"
                text = unflow(text, delsp=delsp)
        return text

    # -- the tree ---------------------------------------------------------------------
    def walk(self, part: Message, out: _Collected, depth: int = 0, related: bool = False) -> None:
        if depth > _MAX_DEPTH:
            self.defects.append("mime: parts nested too deep, the rest skipped")
            return
        ctype = self.content_type(part)
        payload = part.get_payload()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            out.reports.append(part)
            return
        if ctype == "message/rfc822" or (
            ctype.startswith("message/") and isinstance(payload, list)
        ):
            out.attachments.append((part, ctype, related))
            return
        if isinstance(payload, list):
            children = [child for child in payload if isinstance(child, Message)]
            if ctype == "multipart/alternative":
                self._alternative(children, out, depth)
            elif ctype == "multipart/related":
                self._related(part, children, out, depth)
            else:  # mixed, report, signed, digest, parallel, unknown
                for child in children:
                    self.walk(child, out, depth + 1, related)
            return
        if ctype.startswith("multipart/"):
            self.defects.append(f"mime: {ctype} without a readable boundary, read as text")
            ctype = "text/plain"
        # Text in a multipart/related other than its root is a resource, not the body.
        if ctype in _TEXT_TYPES and not related:
            disposition = self.disposition(part)
            if disposition != "attachment" and not self.filename(part):
                text = self.text(part, ctype)
                if ctype == "text/plain" and _LOOKS_HTML.match(text):
                    ctype = "text/html"
                (out.html if ctype == "text/html" else out.plain).append(text)
                return
        out.attachments.append((part, ctype, related))

    def _alternative(self, children: list[Message], out: _Collected, depth: int) -> None:
        found = []
        for child in children:
            collected = _Collected()
            self.walk(child, collected, depth + 1)
            found.append(collected)
        with_html = [c for c in found if c.html]
        with_plain = [c for c in found if c.plain and not c.html] or [c for c in found if c.plain]
        best_html = with_html[-1] if with_html else None
        best_plain = with_plain[-1] if with_plain else None
        for collected in found:
            out.take(
                collected,
                plain=collected is best_plain,
                html=collected is best_html,
            )

    def _related(self, part: Message, children: list[Message], out: _Collected, depth: int) -> None:
        if not children:
            return
        start = param(self.raw(part, "content-type"), "start", self.defects).strip("<> ")
        root = children[0]
        if start:
            for child in children:
                if self.raw(child, "content-id").strip().strip("<>") == start:
                    root = child
                    break
        self.walk(root, out, depth + 1)
        for child in children:
            if child is not root:
                self.walk(child, out, depth + 1, related=True)

    # -- attachments ------------------------------------------------------------------
    def filename(self, part: Message) -> str:
        name = param(
            self.raw(part, "content-disposition"), "filename", self.defects, hint=self.hint
        )
        if not name:
            name = param(self.raw(part, "content-type"), "name", self.defects, hint=self.hint)
        return name

    def attachment(self, part: Message, ctype: str, index: int, cids: set[str]) -> ParsedAttachment:
        if ctype.startswith("message/"):
            data, name = self._message_bytes(part)
        else:
            data, name = self.payload(part), self.filename(part)
        content_id = self.raw(part, "content-id").strip().strip("<>").strip()
        return ParsedAttachment(
            filename=safe_filename(name, ctype, index),
            content_type=ctype,
            data=data,
            content_id=content_id,
            inline=bool(content_id) and content_id.lower() in cids,
        )

    def _message_bytes(self, part: Message) -> tuple[bytes, str]:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            return self.payload(part), self.filename(part)
        buffer = BytesIO()
        try:
            BytesGenerator(buffer, mangle_from_=False, policy=policy.compat32).flatten(inner)
            data = buffer.getvalue()
        except Exception:
            self.defects.append("mime: attached message could not be written back whole")
            data = str(inner).encode("utf-8", "surrogateescape")
        name = self.filename(part)
        if not name:
            subject = header_text(self.raw(inner, "subject"), [], hint=self.hint)
            name = f"{subject[:80]}.eml" if subject else ""
        return data, name

    def report_blocks(self, part: Message) -> list[dict[str, str]]:
        """The field blocks of a delivery-status part (names lower-cased)."""
        blocks: list[dict[str, str]] = []
        payload = part.get_payload()
        if isinstance(payload, list):
            for block in payload:
                if not isinstance(block, Message):
                    continue
                blocks.append({k.lower(): header_text(v, []) for k, v in block.raw_items()})
                rest = block.get_payload()
                if isinstance(rest, str) and rest.strip():
                    blocks += _field_blocks(rest)
        else:
            text = decode_bytes(self.payload(part), self.charset(part), self.defects)
            blocks += _field_blocks(text)
        return blocks


def _b64(data: bytes) -> bytes:
    cleaned = _BASE64_JUNK.sub(b"", data)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    try:
        return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        return data


def _field_blocks(text: str) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        fields: dict[str, str] = {}
        last = ""
        for line in chunk.split("\n"):
            if line[:1] in (" ", "\t") and last:
                fields[last] += " " + line.strip()
                continue
            name, sep, value = line.partition(":")
            if sep and name.strip():
                last = name.strip().lower()
                fields.setdefault(last, value.strip())
        if fields:
            blocks.append(fields)
    return blocks


def unflow(text: str, *, delsp: bool) -> str:
    """Unwrap RFC 3676 format=flowed text: a line ending in a space continues on the
    next line of the same quote depth; space-stuffing removed; "-- " kept."""
    out: list[str] = []
    buffer: str | None = None
    buffer_depth = 0

    def flush() -> None:
        nonlocal buffer
        if buffer is not None:
            out.append((">" * buffer_depth + " " if buffer_depth else "") + buffer)
            buffer = None

    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        if content == "-- ":
            flush()
            out.append((">" * depth + " " if depth else "") + content)
            continue
        if buffer is not None and depth == buffer_depth:
            buffer += content
        else:
            flush()
            buffer, buffer_depth = content, depth
        if buffer.endswith(" "):
            if delsp:
                buffer = buffer[:-1]
            continue
        flush()
    flush()
    return "\n".join(out)


def safe_filename(name: str, content_type: str, index: int) -> str:
    """A name safe to store and show: no folder part, no control or reserved
    characters, at most 200 characters (the extension kept); when the mail gave none,
    ``attachment-N`` with an extension for the content type."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_FILENAME.sub("_", name).strip(" ._")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 199 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else name[:200]
    if name:
        return name
    if content_type == "message/rfc822":
        extension = ".eml"
    elif content_type == "text/plain":
        extension = ".txt"
    else:
        extension = mimetypes.guess_extension(content_type, strict=False) or (
            ".txt" if content_type.startswith("text/") else ".bin"
        )
    return f"attachment-{index}{extension}"


def parse_message(raw: bytes) -> ParsedEmail:
    """Read one message; never raises on bad mail (see the module docstring).

    Raises EmailParseError only when `raw` is empty or blank."""
    if isinstance(raw, str):  # a caller that already decoded: keep its characters
        data = raw.encode("utf-8", "surrogateescape")
    else:
        data = bytes(raw) if raw is not None else b""
    if not data.strip():
        raise EmailParseError("empty input: no message in it")
    try:
        return _parse(data)
    except Exception as exc:
        text = decode_bytes(data, None, [])
        return ParsedEmail(
            body_text=text.strip(),
            body_text_full=text,
            defects=(f"internal: the parser failed ({type(exc).__name__}: {exc}); raw text kept",),
        )


def _returned_message_id(msg: Message, defects: list[str]) -> str:
    """The Message-ID of the message a bounce returns (RFC 3464's third part: the
    whole message, or only its headers)."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                found = payload[0].get("Message-ID", "")
                return next(iter(message_ids(header_text(str(found), defects))), "")
        elif ctype == "text/rfc822-headers":
            data = part.get_payload(decode=True)
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
            head = email.message_from_string(text.split("\n\n", 1)[0] + "\n\n")
            found = head.get("Message-ID", "")
            return next(iter(message_ids(header_text(str(found), defects))), "")
    return ""


def _parse(data: bytes) -> ParsedEmail:
    defects: list[str] = []
    # A byte-order mark or blank lines before the headers would make them the body.
    data = data.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")
    msg = email.message_from_bytes(data, policy=policy.compat32)
    reader = _Reader(defects)
    if not msg.keys():
        defects.append("mime: no header lines found; is this an email?")

    collected = _Collected()
    reader.walk(msg, collected)

    # -- headers ------------------------------------------------------------------------
    headers: dict[str, str] = {}
    raw_values: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        key = name.strip().lower()
        text = value if isinstance(value, str) else str(value)
        raw_values.setdefault(key, []).append(text)
        if key not in headers:
            headers[key] = header_text(text, defects, hint=reader.hint, what=key)
    hint = reader.hint
    senders = addresses(raw_values.get("from", []), defects, hint=hint, what="from")
    if len(senders) > 1:
        defects.append("from: more than one sender, the first kept")
    from_name, from_address = senders[0] if senders else ("", "")
    to = addresses(raw_values.get("to", []), defects, hint=hint, what="to")
    cc = addresses(raw_values.get("cc", []), defects, hint=hint, what="cc")
    reply_to = addresses(raw_values.get("reply-to", []), defects, hint=hint, what="reply-to")
    subject = headers.get("subject", "")
    date = parse_date((raw_values.get("date") or [""])[0], defects)
    message_id = next(iter(message_ids(headers.get("message-id"))), "")
    in_reply_to = next(iter(message_ids(headers.get("in-reply-to"))), "")
    references = tuple(message_ids(headers.get("references")))

    # -- bodies ---------------------------------------------------------------------------
    html = "\n".join(collected.html)
    if len(html) > MAX_HTML_CHARS:
        defects.append(f"html: {len(html):,} characters, only the first {MAX_HTML_CHARS:,} read")
        # Cut before the last tag that would be cut in two.
        last_tag = html.rfind("<", MAX_HTML_CHARS - 1000, MAX_HTML_CHARS)
        html = html[: last_tag if last_tag > 0 else MAX_HTML_CHARS]
    body_html = ""
    if html.strip() and too_deep(html):
        defects.append(f"html: nested more than {MAX_NESTING:,} deep, shown as plain text")
        body_html = f"<pre>{escape(html_to_text(html))}</pre>"
    elif html.strip():
        try:
            body_html = sanitise(html)
        except Exception as exc:
            defects.append(f"html: could not be sanitised ({type(exc).__name__}), dropped")
    plain = "\n\n".join(part.strip("\n") for part in collected.plain if part.strip())
    marked = plain if plain.strip() else html_to_text(html) if html.strip() else ""
    if plain.strip() and len(plain) < _SHORT_PLAIN and len(html) > _SHORT_PLAIN * 10:
        # "View this mail in a browser", or a broken text part beside a real HTML one.
        from_html = html_to_text(html)
        if len(strip_markers(from_html)) > 5 * len(plain.strip()):
            defects.append("text part too short beside the HTML: the HTML read instead")
            marked = from_html
    body_text_full = strip_markers(marked).strip("\n").rstrip()
    body_text = visible_reply(marked)

    # -- attachments ------------------------------------------------------------------
    cids = {m.lower() for m in _CID_LINK.findall(html)} if "cid:" in html.lower() else set()
    attachments = tuple(
        reader.attachment(part, ctype, index, cids)
        for index, (part, ctype, _related) in enumerate(collected.attachments, start=1)
    )

    # -- people or machines ---------------------------------------------------------------
    blocks = [block for part in collected.reports for block in reader.report_blocks(part)]
    bounced, reason, failed = signals.read_delivery_status(blocks)
    is_bounce = failed
    if not collected.reports and signals.looks_like_bounce(headers, subject, from_address):
        own = [from_address, *(a for _, a in to)]
        bounced, reason = signals.read_plain_bounce(body_text_full, own)
        is_bounce = True
    is_auto = is_bounce or bool(collected.reports) or signals.is_auto_reply(headers, subject)
    bounced_message_id = _returned_message_id(msg, defects) if is_bounce else ""
    try:
        language = detect_language(body_text)
    except Exception as exc:
        defects.append(f"language: detection failed ({type(exc).__name__})")
        language = ""

    defects += (
        f"mime: {type(defect).__name__}"
        for part in msg.walk()
        for defect in getattr(part, "defects", ())
    )

    return ParsedEmail(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        subject=subject,
        from_name=from_name,
        from_address=from_address,
        to=tuple(to),
        cc=tuple(cc),
        reply_to=tuple(reply_to),
        date=date,
        body_text=body_text,
        body_text_full=body_text_full,
        body_html=body_html,
        attachments=attachments,
        is_auto_reply=is_auto,
        is_bounce=is_bounce,
        is_list_mail=signals.is_list_mail(headers),
        bounced_recipients=tuple(bounced),
        bounce_reason=reason,
        bounced_message_id=bounced_message_id,
        language=language,
        headers=headers,
        defects=tuple(dict.fromkeys(defects)),
    )
