"""Header values as text: RFC 2047 encoded words (RFC 2047,
https://www.rfc-editor.org/rfc/rfc2047), RFC 2231 parameters, addresses, dates and
message ids, tolerant of what real mail gets wrong.

Wire facts and real-world breakage this handles:
- Adjacent encoded words are joined without the whitespace between them, and a
  multibyte character split across two words of one charset is joined before decoding
  (Python's own decoders replace such halves with U+FFFD).
- Encoded words inside quoted strings, without surrounding spaces, with spaces or
  bad padding inside, with an unknown charset or an RFC 2231 language (``utf-8*en``).
- Raw 8-bit bytes in headers (not allowed, common): read as UTF-8, else as the
  charset the message's text declares, else detected.
- Addresses: the modern parser (``email.policy.default``) first, falling back to the
  compat32 one (``email.utils.getaddresses``) where it raises or finds nothing.
"""

from __future__ import annotations

import binascii
import email.policy
import re
from datetime import UTC, datetime
from email.utils import decode_params, getaddresses, parsedate_to_datetime, unquote

from frontdesk.connectors.email.charsets import decode_bytes

_ENCODED_WORD = re.compile(r"=\?([^?\s]*)\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_SPACES = re.compile(r"[\s\x00]+")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
_MSGID = re.compile(r"<([^<>\s]+)>")
_COMMENT = re.compile(r"\([^()]*\)")


def _surrogates_to_bytes(text: str) -> bytes:
    # The parser keeps undecodable header bytes as lone surrogates (surrogateescape).
    return text.encode("utf-8", "surrogateescape")


def has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text) if not text.isascii() else False


def fix_raw_8bit(text: str, hint: str | None, defects: list[str], what: str) -> str:
    """Text holding raw 8-bit bytes as surrogates, decoded (UTF-8, else `hint`)."""
    if not has_surrogates(text):
        return text
    data = _surrogates_to_bytes(text)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    defects.append(f"{what}: raw 8-bit bytes in a header")
    return decode_bytes(data, hint, defects, what=what)


def _b_decode(payload: str) -> bytes:
    data = _B64_JUNK.sub(b"", payload.encode("ascii", "ignore"))
    if len(data) % 4 == 1:
        data = data[:-1]
    data += b"=" * (-len(data) % 4)
    try:
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        return b""


def _q_decode(payload: str) -> bytes:
    return binascii.a2b_qp(payload.encode("utf-8", "surrogateescape"), header=True)


def decode_words(
    value: str, defects: list[str], *, hint: str | None = None, what: str = "header"
) -> str:
    """Decode RFC 2047 encoded words in `value` (already unfolded). Never raises."""
    if "=?" not in value:
        return fix_raw_8bit(value, hint, defects, what)
    pieces: list[str] = []
    pending: bytes = b""
    pending_charset: str | None = None
    last_end = 0
    last_was_word = False

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending_charset is not None:
            pieces.append(decode_bytes(pending, pending_charset or "", defects, what=what))
        pending, pending_charset = b"", None

    for match in _ENCODED_WORD.finditer(value):
        between = value[last_end : match.start()]
        if not (last_was_word and not between.strip()):
            flush()
            pieces.append(fix_raw_8bit(between, hint, defects, what))
        charset = match.group(1).split("*", 1)[0].lower()
        encoding = match.group(2).upper()
        data = _b_decode(match.group(3)) if encoding == "B" else _q_decode(match.group(3))
        if pending_charset is not None and pending_charset != charset:
            flush()
        pending += data
        pending_charset = charset
        last_end = match.end()
        last_was_word = True
    flush()
    pieces.append(fix_raw_8bit(value[last_end:], hint, defects, what))
    return "".join(pieces)


def unfold(value: str) -> str:
    return _FOLD.sub("", value) if "\n" in value or "\r" in value else value


def header_text(
    value: object, defects: list[str], *, hint: str | None = None, what: str = "header"
) -> str:
    """A raw header value (as the parser stored it) as one clean line of text."""
    raw = value if isinstance(value, str) else str(value)
    if raw.isascii() and "=?" not in raw and "\x00" not in raw:
        return " ".join(raw.split())  # most headers: unfold and tidy spaces, nothing more
    text = decode_words(unfold(raw), defects, hint=hint, what=what)
    if "  " in text or "\t" in text or "\n" in text or "\r" in text or "\x00" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


_ADDRESS_POLICY = email.policy.default
# "Name <a@b>, c@d" with no quoting, comments, groups or encoded words: both parsers
# agree on these, and compat32's is ten times faster (most mail is like this).
_SIMPLE_ADDRESSES = re.compile(r"[A-Za-z0-9 .,<>@_+\-'!#$%&*/?^`{|}~]*")


def _is_simple(value: str) -> bool:
    if "=?" in value or not _SIMPLE_ADDRESSES.fullmatch(value):
        return False
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        phrase, bracket, _rest = item.partition("<")
        if item.count("@") != 1 or (bracket and "@" in phrase) or (not bracket and " " in item):
            return False
    return True


_BRACKETED = re.compile(r"<([^<>@\s]+@[^<>\s]+)>")


def _outside_quotes(value: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', " ", value)


def scan_addresses(value: str) -> list[tuple[str, str]]:
    """A last-resort reader for address lists no parser gets right ('Big Bug
    bb@bug.com', 'a@x b@x', 'Jo@Home <jo@example.com>'): items split at commas outside
    quotes and brackets; in each, a bracketed address wins and the text before it is
    the name; else every word with an "@" is an address and the other words the name."""
    items: list[str] = []
    current: list[str] = []
    quoted = bracket = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            bracket = True
        elif ch == ">" and not quoted:
            bracket = False
        if ch in ",;" and not quoted and not bracket:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    found: list[tuple[str, str]] = []
    for item in items:
        bracketed = _BRACKETED.findall(item)
        if bracketed:
            name = item[: item.find("<" + bracketed[-1])].strip().strip('"').strip()
            found.append((name, bracketed[-1]))
            continue
        tokens = item.split()
        at = [t.strip("<>\"'()") for t in tokens if "@" in t]
        words = " ".join(t for t in tokens if "@" not in t).strip('"').strip()
        found += [(words if i == 0 else "", a) for i, a in enumerate(at)]
    return found


def _looks_wrong(value: str, pairs: list[tuple[str, str]]) -> bool:
    """Whether a parser's reading of `value` lost or mangled addresses."""
    if any('"' in a or " " in a.strip() or "@" not in a for _, a in pairs):
        return True
    return _outside_quotes(value).count("@") > len(pairs)


def addresses(
    raw_values: list[str], defects: list[str], *, hint: str | None = None, what: str
) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs from the raw values of one address
    header (To may appear twice). Modern parser first, compat32 where it fails."""
    found: list[tuple[str, str]] = []
    for raw in raw_values:
        value = unfold(raw)
        pairs: list[tuple[str, str]] = []
        if _is_simple(value):
            pairs = getaddresses([value])
        elif not has_surrogates(value):
            try:
                header = _ADDRESS_POLICY.header_factory(what, value)
                pairs = [(a.display_name, a.addr_spec) for a in header.addresses]
            except Exception:
                defects.append(f"{what}: the modern address parser failed, used compat32")
                pairs = []
            # The modern parser yields "<>"-less junk as an addr_spec without "@".
            if value.strip() and "@" in value and not any("@" in a for _, a in pairs):
                pairs = []
        if not pairs and "@" in value:
            pairs = getaddresses([fix_raw_8bit(value, hint, [], what)])
        pairs = [(n, a) for n, a in pairs if n or a.strip()]
        if "@" in value and _looks_wrong(value, pairs):
            scanned = scan_addresses(fix_raw_8bit(value, hint, [], what))
            if len(scanned) > len([a for _, a in pairs if "@" in a]) or _looks_wrong(value, pairs):
                defects.append(f"{what}: malformed address list, read word by word")
                pairs = scanned
        for name, address in pairs:
            address = address.strip().strip("<>").lower()
            if has_surrogates(address):
                address = fix_raw_8bit(address, hint, defects, what).lower()
            name = header_text(name, defects, hint=hint, what=what) if name else ""
            if not address and not name:
                continue
            found.append((name.strip('"').strip(), address))
    return found


def parse_date(raw: str | None, defects: list[str]) -> datetime | None:
    """An aware datetime from a Date header; None (and a defect) when unreadable.
    A date without a zone (``-0000`` or none) is taken as UTC."""
    if not raw:
        return None
    text = _SPACES.sub(" ", unfold(raw)).strip()
    for candidate in (text, _COMMENT.sub("", text).strip(), text.replace(".", ":")):
        try:
            parsed = parsedate_to_datetime(candidate)
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        if parsed is None:
            continue
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        defects.append(f"date: unreadable Date header {text[:60]!r}")
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def message_ids(raw: str | None) -> list[str]:
    """Every ``<id>`` in a Message-ID/In-Reply-To/References value, each with its <>;
    bare ids (no brackets, as some clients write them) are bracketed."""
    if not raw:
        return []
    value = unfold(raw)
    ids = [f"<{m}>" for m in _MSGID.findall(value)]
    if ids:
        return ids
    return [f"<{token}>" for token in value.split() if "@" in token and "<" not in token]


def split_params(raw: str) -> list[tuple[str, str]]:
    """The parameters of a Content-Type/Disposition value as (name, value) pairs,
    quotes removed, RFC 2231 continuations still apart (see `param`)."""
    params: list[tuple[str, str]] = []
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for ch in raw:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            current.append(ch)
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    for part in parts[1:]:
        name, sep, value = part.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        elif value.startswith('"'):
            value = value[1:]
        params.append((name.strip().lower(), value))
    return params


def param(raw: str | None, name: str, defects: list[str], *, hint: str | None = None) -> str:
    """One parameter of a Content-Type/Disposition raw value, decoded: RFC 2231
    (``name*=utf-8''%E2%82%AC``, ``name*0*=``), RFC 2047 inside quotes (not allowed,
    what most clients send), raw 8-bit. "" when absent."""
    if not raw or name not in raw.lower():
        return ""
    value = unfold(raw)
    if '"' not in value and "*" not in value and "\\" not in value:
        # The common case, "text/plain; charset=utf-8; format=flowed": no quoting.
        for item in value.split(";")[1:]:
            item_name, sep, item_value = item.partition("=")
            if sep and item_name.strip().lower() == name:
                what = f"parameter {name}"
                return header_text(item_value.strip(), defects, hint=hint, what=what)
        return ""
    pairs = [(k, v) for k, v in split_params(value) if k.split("*", 1)[0] == name]
    if not pairs:
        return ""
    try:
        # decode_params expects the header's first pair as the value itself.
        decoded = decode_params([("", ""), *pairs])[1:]
    except Exception:
        decoded = [(k, v) for k, v in pairs if "*" not in k]
    result = ""
    for key, val in sorted(decoded, key=lambda kv: not isinstance(kv[1], tuple)):
        if key != name:
            continue
        if isinstance(val, tuple):  # RFC 2231: (charset, language, %-decoded latin-1)
            charset, _language, text = val
            text = unquote(text)
            try:
                data = text.encode("latin-1", "surrogateescape")
            except UnicodeEncodeError:
                result = text
            else:
                result = decode_bytes(data, charset or "utf-8", defects, what=f"parameter {name}")
        else:
            result = unquote(val)
        break
    return header_text(result, defects, hint=hint, what=f"parameter {name}")
