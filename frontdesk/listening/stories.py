"""One story, however it reaches us: canonical URLs and content fingerprints.

A post re-polled, syndicated to a second feed, or shared with tracking parameters
is the same story. `canonical_url` strips what does not name the page (tracking
parameters, fragments, default ports, a trailing slash, the "www." and case of the
host); `fingerprint` hashes the folded words of the title and text, so a copy with
other markup, spacing or case has the same key.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from frontdesk.listening.query import Words

TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_")
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "ref", "ref_src", "s", "si"}
)
FINGERPRINT_WORDS = 400


def canonical_url(url: str) -> str:
    """`url` without tracking parameters and cosmetic differences ("" if none)."""
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().removeprefix("www.")
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
    ]
    path = parts.path.rstrip("/") or "/"
    # http and https copies of one page are one story.
    return urlunsplit(
        (
            "https" if scheme in ("http", "https") else scheme,
            host,
            path,
            urlencode(sorted(query)),
            "",
        )
    )


def fingerprint(title: str, text: str) -> str:
    """A hash of the post's words (folded), the same for any copy of it."""
    words = Words.of(f"{title}\n{text}").words[:FINGERPRINT_WORDS]
    return hashlib.sha256(" ".join(words).encode()).hexdigest()


def key_of(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
