"""Bytes to text for mail: the charset a part declares, the aliases real mail needs,
and detection when the declaration is missing or wrong.

Facts this relies on (WHATWG Encoding Standard, https://encoding.spec.whatwg.org/, and
what mail clients actually send):
- Labels are case-insensitive and often quoted, padded or prefixed with ``x-``.
- ``iso-8859-1`` and ``us-ascii`` mail is very often windows-1252 (curly quotes at
  0x91-0x94) or UTF-8 sent by a client that lies about it.
- ``iso-2022-jp`` mail from Windows carries NEC/IBM extensions (circled digits, ㈱)
  that the strict codec rejects: that is Microsoft's cp50220, decoded here by mapping
  each JIS pair to Shift_JIS and reading it as cp932.
- ``gb2312``/``gbk`` are read as gb18030, ``ks_c_5601-1987``/``euc-kr`` as cp949,
  ``big5`` as big5hkscs, ``shift_jis`` as cp932: each a superset of the label.
- UTF-16 without a byte-order mark is big-endian by RFC 2781, little-endian in practice:
  the zero bytes tell which.
- Undeclared or unknown charsets are detected with charset-normalizer (its data ships
  in the package, nothing is downloaded).
"""

from __future__ import annotations

import codecs
import re

# Labels seen in real mail, after normalisation (lower case, no quotes), mapped to the
# codecs tried in order: the first that decodes without error wins.
_ALIASES: dict[str, tuple[str, ...]] = {
    "iso-2022-jp": ("iso2022_jp", "cp50220"),
    "csiso2022jp": ("iso2022_jp", "cp50220"),
    "iso2022jp": ("iso2022_jp", "cp50220"),
    "iso-2022-jp-1": ("iso2022_jp_1", "cp50220"),
    "iso-2022-jp-2": ("iso2022_jp_2", "cp50220"),
    "iso-2022-jp-3": ("iso2022_jp_3", "iso2022_jp_2004"),
    "shift_jis": ("cp932", "shift_jis_2004"),
    "shift-jis": ("cp932", "shift_jis_2004"),
    "sjis": ("cp932", "shift_jis_2004"),
    "x-sjis": ("cp932", "shift_jis_2004"),
    "ms_kanji": ("cp932",),
    "csshiftjis": ("cp932",),
    "windows-31j": ("cp932",),
    "cp932": ("cp932",),
    "euc-jp": ("euc_jp", "euc_jis_2004"),
    "x-euc-jp": ("euc_jp", "euc_jis_2004"),
    "gb2312": ("gb18030",),
    "gb_2312-80": ("gb18030",),
    "csgb2312": ("gb18030",),
    "euc-cn": ("gb18030",),
    "x-euc-cn": ("gb18030",),
    "chinese": ("gb18030",),
    "gbk": ("gb18030",),
    "x-gbk": ("gb18030",),
    "cp936": ("gb18030",),
    "windows-936": ("gb18030",),
    "hz-gb-2312": ("hz",),
    "big5": ("big5hkscs", "cp950"),
    "big-5": ("big5hkscs", "cp950"),
    "cn-big5": ("big5hkscs", "cp950"),
    "csbig5": ("big5hkscs", "cp950"),
    "x-x-big5": ("big5hkscs", "cp950"),
    "ks_c_5601-1987": ("cp949",),
    "ks_c_5601-1989": ("cp949",),
    "ks_c_5601": ("cp949",),
    "ksc5601": ("cp949",),
    "ksc_5601": ("cp949",),
    "csksc56011987": ("cp949",),
    "iso-ir-149": ("cp949",),
    "korean": ("cp949",),
    "euc-kr": ("cp949",),
    "windows-949": ("cp949",),
    "iso-8859-1": ("cp1252", "latin-1"),
    "iso8859-1": ("cp1252", "latin-1"),
    "iso_8859-1": ("cp1252", "latin-1"),
    "latin1": ("cp1252", "latin-1"),
    "latin-1": ("cp1252", "latin-1"),
    "l1": ("cp1252", "latin-1"),
    "cp819": ("cp1252", "latin-1"),
    "us-ascii": ("ascii", "cp1252", "latin-1"),
    "ascii": ("ascii", "cp1252", "latin-1"),
    "ansi_x3.4-1968": ("ascii", "cp1252", "latin-1"),
    "iso-8859-9": ("cp1254", "iso8859_9"),
    "latin5": ("cp1254", "iso8859_9"),
    "iso-8859-11": ("cp874",),
    "tis-620": ("cp874",),
    "windows-874": ("cp874",),
    "iso-8859-8-i": ("iso8859_8",),
    "iso-8859-6-i": ("iso8859_6",),
    "macintosh": ("mac_roman",),
    "x-mac-roman": ("mac_roman",),
    "unicode-1-1-utf-7": ("utf-7",),
    "utf7": ("utf-7",),
    "utf8": ("utf-8",),
    "unicode-1-1-utf-8": ("utf-8",),
    "x-unicode20utf8": ("utf-8",),
    "unicode": ("utf-16",),
    "ucs-2": ("utf-16",),
}

# Labels meaning "we do not know": detect instead of trusting them.
_UNKNOWN = frozenset(
    {"", "unknown", "unknown-8bit", "x-unknown", "default", "charset", "none", "x-user-defined"}
)

# Labels whose bytes are plain ASCII for ASCII text: a pure-ASCII payload needs no codec.
_ASCII_FRIENDLY = frozenset(
    {"ascii", "utf-8", "cp1252", "latin-1", "cp1254", "iso8859_9", "cp949", "gb18030", "cp932"}
)

_UTF8_FAMILY = ("utf-8", "utf_8")

# charset-normalizer samples the start of a payload; more would only cost time.
_DETECT_SAMPLE = 64 * 1024

_LABEL_JUNK = re.compile(r"[\"'\s]")


def normalise_label(label: str | None) -> str:
    """A charset label as mail writes it, cleaned: lower case, no quotes or spaces, no
    RFC 2231 language suffix (``utf-8*en``)."""
    if not label:
        return ""
    cleaned = _LABEL_JUNK.sub("", str(label)).lower()
    return cleaned.split("*", 1)[0].strip(";,")


def _is_text_codec(name: str) -> str | None:
    """Python's codec name for `name` if it is a text encoding, else None."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # base64, rot13, hex, zlib... are bytes-to-bytes "codecs": not charsets.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def codecs_for(label: str | None) -> tuple[str, ...]:
    """The codecs to try, in order, for a declared label; () when unknown."""
    name = normalise_label(label)
    if name in _UNKNOWN:
        return ()
    if name in _ALIASES:
        return _ALIASES[name]
    for candidate in (name, name.removeprefix("x-"), name.replace("_", "-"), _win(name)):
        if candidate and (found := _is_text_codec(candidate)):
            return _ALIASES.get(found, (found,))
    return ()


def _win(name: str) -> str:
    # "win-1252", "win1252", "windows1252" -> "cp1252"
    match = re.fullmatch(r"(?:x-)?(?:win|windows|cp|ms)-?(\d{3,4})", name)
    return f"cp{match.group(1)}" if match else ""


def decode_cp50220(data: bytes) -> str:
    """ISO-2022-JP as Windows writes it (cp50220): JIS X 0208 pairs (with the NEC and
    IBM extension rows), JIS X 0201 katakana by ESC ( I or SO/SI, ASCII and JIS-Roman.
    Each JIS pair becomes its Shift_JIS pair and the whole is read as cp932."""
    out = bytearray()
    mode = "ascii"  # ascii | jis | kana
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        if byte == 0x1B and i + 2 < n:
            seq = data[i + 1 : i + 3]
            if seq in (b"(B", b"(J", b"(H"):
                mode, i = "ascii", i + 3
                continue
            if seq == b"(I":
                mode, i = "kana", i + 3
                continue
            if seq in (b"$@", b"$B"):
                mode, i = "jis", i + 3
                continue
            if seq == b"$(" and i + 3 < n:  # ESC $ ( D / Q: treat as JIS X 0208 rows
                mode, i = "jis", i + 4
                continue
        if byte == 0x0E:  # SO: katakana
            mode, i = "kana", i + 1
            continue
        if byte == 0x0F:  # SI: back to ASCII
            mode, i = "ascii", i + 1
            continue
        if byte in (0x0A, 0x0D):
            out.append(byte)
            i += 1
            continue
        if mode == "jis" and 0x21 <= byte <= 0x7E and i + 1 < n and 0x21 <= data[i + 1] <= 0x7E:
            j1, j2 = byte, data[i + 1]
            s1 = (j1 + 1) // 2 + (0x70 if j1 <= 0x5E else 0xB0)
            s2 = j2 + 0x1F + (1 if j2 >= 0x60 else 0) if j1 & 1 else j2 + 0x7E
            out += bytes((s1, s2))
            i += 2
            continue
        if mode == "kana" and 0x21 <= byte <= 0x5F:
            out.append(byte + 0x80)
            i += 1
            continue
        out.append(byte)
        i += 1
    return bytes(out).decode("cp932", errors="replace")


def _decode_with(data: bytes, codec: str, errors: str = "strict") -> str:
    if codec == "cp50220":
        if not data.isascii():  # 8-bit bytes: not ISO-2022 at all (often EUC-JP mislabelled)
            raise UnicodeDecodeError("cp50220", data, 0, len(data), "8-bit byte in a 7-bit code")
        text = decode_cp50220(data)
        if errors == "strict" and "\ufffd" in text:
            raise UnicodeDecodeError("cp50220", data, 0, len(data), "unmappable JIS pair")
        return text
    if codec in ("utf-16", "utf_16") and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        codec = _utf16_order(data)
    return data.decode(codec, errors)


def _utf16_order(data: bytes) -> str:
    # ASCII-heavy text has its zero bytes first (big-endian) or second (little-endian).
    sample = data[:4096]
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    return "utf-16-be" if even > odd else "utf-16-le"


def detect(data: bytes) -> str | None:
    """The charset charset-normalizer finds most likely for `data`, or None."""
    from charset_normalizer import from_bytes  # imported on first use: rarely needed

    best = from_bytes(data[:_DETECT_SAMPLE]).best()
    return best.encoding if best is not None else None


def decode_bytes(data: bytes, label: str | None, defects: list[str], *, what: str = "text") -> str:
    """`data` as text. Never raises: tries the declared charset and its aliases, then
    UTF-8, then detection, then windows-1252 with replacement characters, and adds a
    line to `defects` for each thing it had to work around."""
    if not data:
        return ""
    declared = normalise_label(label)
    candidates = codecs_for(declared)
    if data.isascii() and (not candidates or candidates[0] in _ASCII_FRIENDLY):
        # The common case, and the only safe shortcut: UTF-7, UTF-16 and ISO-2022 are
        # ASCII bytes that mean something else.
        return data.decode("ascii")
    if declared and not candidates:
        defects.append(f"{what}: unknown charset {declared!r}, detected instead")
    if candidates and candidates[0] in ("cp1252", "ascii") and not data.isascii():
        # Clients that say latin-1/us-ascii but send UTF-8: real UTF-8 multibyte runs
        # almost never occur by chance in single-byte text.
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            defects.append(f"{what}: declared {declared!r} but the bytes are UTF-8")
            return text
    for codec in candidates:
        try:
            return _decode_with(data, codec)
        except (UnicodeDecodeError, LookupError):
            continue
    if candidates:
        if candidates[0] not in _UTF8_FAMILY:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                defects.append(f"{what}: declared {declared!r} but the bytes are UTF-8")
                return text
        # Mostly right with a few bad bytes: keep the declared charset, mark the bad bytes.
        text = _decode_with(data, candidates[0], "replace")
        if text.count("\ufffd") * 50 <= len(text):
            defects.append(f"{what}: bytes not valid in {declared!r} replaced")
            return text
    else:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    found = detect(data)
    if found and (detected := _is_text_codec(found)):
        defects.append(f"{what}: charset detected as {detected}")
        return data.decode(detected, errors="replace")
    defects.append(f"{what}: charset unknown, read as windows-1252")
    return data.decode("cp1252", errors="replace")
