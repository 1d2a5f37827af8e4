"""Pure helpers every listening source shares: readable text from HTML, canonical
URLs, content fingerprints, the crawler's User-Agent and robots signals.

Nothing here does I/O. The listening app uses `canonical_url` and `simhash` to key
one story however often it is syndicated or re-polled; the adapters use the rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import numpy
from django.conf import settings

from frontdesk import __version__

# ---------------------------------------------------------------------------------
# HTML -> readable plain text

_SKIP = frozenset({"script", "style", "head", "template", "noscript", "iframe", "object"})
_SKIP |= frozenset({"svg", "math", "embed", "applet", "frame", "frameset", "title"})
_BLOCK = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "aside", "nav", "main",
        "blockquote", "pre", "ul", "ol", "dl", "dt", "dd", "table", "tr", "h1", "h2", "h3",
        "h4", "h5", "h6", "figure", "figcaption", "hr", "form", "fieldset", "address",
    }
)  # fmt: skip
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "source", "wbr", "col", "area"})


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP and tag not in _VOID:
            self.skipping.append(tag)
            return
        if self.skipping:
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag in _BLOCK:
            self.parts.append("\n\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f" {alt} ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            return  # <script/> opens nothing
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            elif tag in self.skipping:  # an unclosed tag inside: drop back to it
                del self.skipping[self.skipping.index(tag) :]
            return
        if tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What tidy_text changes besides the ends: a line break, a control character, a space
# other than a single " ", or two spaces in a row.
_UNTIDY = re.compile(r"[\x00-\x1f\x7f\u00a0\u200b]|  ")


def tidy_text(text: str) -> str:
    """Whitespace collapsed within lines, at most one blank line, no control characters."""
    if not _UNTIDY.search(text):  # one line with single spaces: only its ends to strip
        return text.strip()
    text = _CONTROL.sub("", text.replace("\r\n", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def html_to_text(markup: str) -> str:
    """Readable plain text from an HTML fragment: tags, scripts and styles removed,
    entities decoded, paragraphs and line breaks kept as line breaks."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        return tidy_text(markup)
    parser = _TextParser()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # HTMLParser is lenient; a pathological input still yields text
        return tidy_text(re.sub(r"<[^>]*>", " ", markup))
    return tidy_text("".join(parser.parts))


# ---------------------------------------------------------------------------------
# Canonical URLs

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "igsh", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "__hstc", "__hssc",
        "__hsfp", "hsctatracking", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id",
        "vero_conv", "_ga", "_gl", "ref_src", "ref_url", "s_cid", "cmpid", "spm",
        "rb_clickid", "ttclid", "li_fat_id", "wt_mc", "sr_share", "ocid", "at_medium",
        "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "ga_", "hmb_", "itm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """One spelling of a web address: scheme and host lower-cased, default port, fragment
    and tracking parameters (utm_*, fbclid, gclid, mc_* ...) removed, the remaining
    parameters sorted, a trailing slash dropped (except the root's), dot segments
    resolved. "" for something that is no http(s) URL."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return ""
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    segments: list[str] = []
    for segment in (parts.path or "/").split("/"):
        if segment == "..":
            if len(segments) > 1:
                segments.pop()
        elif segment != ".":
            segments.append(segment)
    path = "/".join(segments) or "/"
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_param(k)
    )
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


# ---------------------------------------------------------------------------------
# Content fingerprints

_WORD = re.compile(r"\w+", re.UNICODE)


def fold_words(text: str) -> list[str]:
    """The words of `text`, case- and accent-folded ("Café" -> "cafe")."""
    if text.isascii():  # no accents to take off, and casefold() is lower()
        return _WORD.findall(text.lower())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _WORD.findall(plain)


def content_hash(text: str) -> str:
    """A hash of the folded words: equal for texts differing only in case, accents,
    punctuation and spacing."""
    return hashlib.sha256(" ".join(fold_words(text)).encode()).hexdigest()[:32]


def simhash(text: str, *, shingle: int = 3) -> int:
    """A 64-bit SimHash over word shingles: near-identical texts (a syndicated copy
    with a different footer, an edit) differ in few bits. 0 for empty text."""
    words = fold_words(text)
    if not words:
        return 0
    if len(words) < shingle:
        grams = [" ".join(words)]
    else:
        grams = [" ".join(words[i : i + shingle]) for i in range(len(words) - shingle + 1)]
    # A bit is set when more than half the shingles' hashes have it: the hashes'
    # bytes (big-endian, so column 0 is bit 63) unpacked to a row of 64 bits each and
    # counted by column.
    digests = b"".join(hashlib.blake2b(g.encode(), digest_size=8).digest() for g in grams)
    rows = numpy.unpackbits(numpy.frombuffer(digests, dtype=numpy.uint8)).reshape(-1, 64)
    majority = rows.sum(axis=0, dtype=numpy.int64) * 2 > len(grams)
    return int.from_bytes(numpy.packbits(majority).tobytes(), "big")


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def near_duplicates(a: str, b: str, *, max_distance: int = 3) -> bool:
    """Whether two texts are the same story by their SimHash (<= max_distance bits apart)."""
    return hamming(simhash(a), simhash(b)) <= max_distance


def fingerprint(title: str, text: str) -> str:
    """The story's fingerprint as 16 hex digits (the SimHash of title and text)."""
    return f"{simhash(title + chr(10) + text):016x}"


# ---------------------------------------------------------------------------------
# Who we say we are, and what sites ask of crawlers

CRAWLER_TOKEN = "Frontdesk"  # noqa: S105 (the robots.txt product token)


def crawler_user_agent(contact: str = "") -> str:
    """The published crawler User-Agent: product, version, the instance's public address
    and a contact (the account's, else LISTENING_CRAWLER_CONTACT, else the site's From)."""
    site = str(getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")
    contact = (
        contact
        or str(getattr(settings, "LISTENING_CRAWLER_CONTACT", "") or "")
        or _address_of(str(getattr(settings, "DEFAULT_FROM_EMAIL", "") or ""))
    )
    details = ["listening crawler"]
    if site:
        details.append(f"+{site}")
    if contact:
        details.append(contact)
    return f"{CRAWLER_TOKEN}/{__version__} ({'; '.join(details)})"


def _address_of(from_header: str) -> str:
    match = re.search(r"<([^>]+@[^>]+)>", from_header) or re.search(r"\S+@\S+", from_header)
    if not match:
        return ""
    address = match.group(1) if match.groups() else match.group(0)
    return "" if address.endswith("@localhost") else address


def robots_allows(robots_txt: str, url: str, *, agent: str = CRAWLER_TOKEN) -> bool:
    """Whether a robots.txt lets `agent` read `url` (no rules: allowed)."""
    parser = RobotFileParser()
    parser.parse(robots_txt.splitlines())
    return parser.can_fetch(agent, url)


def robots_directives(
    values: list[str] | tuple[str, ...], *, agent: str = CRAWLER_TOKEN
) -> set[str]:
    """The directives (lower-case) X-Robots-Tag headers or robots meta contents give us:
    those for every robot and those naming `agent` ("frontdesk: noindex")."""
    found: set[str] = set()
    for value in values:
        scope = ""
        for raw in value.split(","):
            token = raw.strip().lower()
            if ":" in token:
                head, _, rest = token.partition(":")
                if head.strip() not in ("unavailable_after", "max-snippet", "max-image-preview"):
                    scope, token = head.strip(), rest.strip()
            if scope and scope not in (agent.lower(), "*"):
                continue
            if token:
                found.add(token)
    return found


_META = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z_:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")


def meta_robots(page: str, *, agent: str = CRAWLER_TOKEN) -> set[str]:
    """The robots directives of an HTML page's <meta name="robots"> (or naming us)."""
    values = []
    for tag in _META.findall(page[:200_000]):
        attrs = {k.lower(): v.strip("\"'") for k, v in _ATTR.findall(tag)}
        if attrs.get("name", "").lower() in ("robots", agent.lower()):
            values.append(attrs.get("content", ""))
    return robots_directives(values, agent=agent)


FORBIDDING = frozenset({"noindex", "none", "noai"})


def forbids_reading(directives: set[str]) -> str:
    """The directive that keeps us from recording a page's posts ("" when none does)."""
    for directive in sorted(directives & FORBIDDING):
        return directive
    return ""
