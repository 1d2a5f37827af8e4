"""One story, however it reaches us: the keys ingestion compares.

A post re-polled, syndicated to a second feed, or shared with tracking parameters
is the same story. The connectors' shared helpers give the canonical URL (tracking
parameters, fragments, default ports dropped) and the folded-word hash and SimHash
of the text; here the URL is also freed of what does not tell two copies of one page
apart on the web as people share it (http or https, a "www.").
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

from frontdesk.connectors import listening_common

# Near copies (another footer, a light edit): SimHashes within this many of 64 bits
# are compared word by word, and are one story when most of the shorter text's
# three-word shingles are in the other. A short post changes many bits for a few
# added words (a five-word footer on a forty-word post: about ten), so the SimHash
# only narrows the search; unrelated texts differ in about 32 bits.
NEAR_CANDIDATE_BITS = 14
NEAR_CONTAINMENT = 0.8


def canonical_url(url: str) -> str:
    """`url` as one spelling of the page ("" if it is no web address)."""
    canonical = listening_common.canonical_url(url)
    if not canonical:
        return ""
    parts = urlsplit(canonical)
    host = parts.netloc.removeprefix("www.")
    return urlunsplit(("https", host, parts.path, parts.query, ""))


def fingerprint(title: str, text: str) -> str:
    """The exact story key: a hash of the folded words of title and text."""
    return listening_common.content_hash(f"{title}\n{text}")


def simhash(title: str, text: str) -> int:
    """The SimHash of title and text as a signed 64-bit number (what a database stores)."""
    value = listening_common.simhash(f"{title}\n{text}")
    return value - (1 << 64) if value >= 1 << 63 else value


def maybe_near(a: int, b: int) -> bool:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count() <= NEAR_CANDIDATE_BITS


def shingles(title: str, text: str, size: int = 3) -> set[str]:
    words = listening_common.fold_words(f"{title}\n{text}")
    if len(words) < size:
        return {" ".join(words)}
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def same_story(a: set[str], b: set[str]) -> bool:
    """Whether most of the shorter text's shingles are in the other (a copy with more
    or less around it)."""
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= NEAR_CONTAINMENT


def key_of(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
