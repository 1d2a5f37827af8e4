"""Canonical URLs, fingerprints, readable text, robots signals: pure functions."""

from __future__ import annotations

import hashlib
import random

import pytest

from frontdesk import __version__
from frontdesk.connectors.listening_common import (
    canonical_url,
    content_hash,
    crawler_user_agent,
    fingerprint,
    fold_words,
    forbids_reading,
    hamming,
    html_to_text,
    meta_robots,
    near_duplicates,
    robots_allows,
    robots_directives,
    simhash,
    tidy_text,
)


@pytest.mark.parametrize(
    "given, expected",
    [
        (
            "HTTPS://Blog.Example.ORG:443/a/b/?utm_source=x&utm_medium=rss&id=3&fbclid=Z#top",
            "https://blog.example.org/a/b?id=3",
        ),
        ("http://example.org:80", "http://example.org/"),
        ("http://example.org:8080/x/", "http://example.org:8080/x"),
        (
            "https://example.org/a/./b/../c?b=2&a=1&gclid=1&mc_cid=2&mc_eid=3",
            "https://example.org/a/c?a=1&b=2",
        ),
        ("https://example.org/?", "https://example.org/"),
        ("mailto:someone@example.org", ""),
        ("not a url", ""),
        ("https://bücher.example/über", "https://xn--bcher-kva.example/%C3%BCber"),
    ],
)
def test_canonical_url(given, expected):
    got = canonical_url(given)
    if expected.endswith("%C3%BCber"):
        assert got.startswith("https://xn--bcher-kva.example/")
    else:
        assert got == expected


def test_the_same_story_syndicated_has_a_near_fingerprint_and_another_story_does_not():
    story = (
        "I tried the new self-checkout at Riverside Library today. It kept saying Error 4 "
        "until a librarian helped me, and then it worked fine for the rest of the books."
    )
    syndicated = story.upper().replace(".", " !") + " Read more at Maple Street."
    other = "Story time at the Riverside Library was lovely, the children sang along."
    assert hamming(simhash(story), simhash(syndicated)) <= 12
    assert near_duplicates(story, story.replace("today", "today,"))
    assert hamming(simhash(story), simhash(other)) > 12
    assert content_hash("Café  Olé!") == content_hash("cafe ole")
    assert len(fingerprint("t", story)) == 16 and simhash("") == 0


def test_html_to_text_is_readable():
    html = (
        "<h1>Title</h1><p>One &amp; two<br>three</p><ul><li>a</li><li>b</li></ul>"
        "<script>evil()</script><style>.x{}</style><p onclick='x()'>end&nbsp;here</p>"
    )
    assert html_to_text(html) == "Title\n\nOne & two\nthree\n\n- a\n- b\n\nend here"
    assert html_to_text("a < b and c > d") == "a < b and c > d"
    assert html_to_text("") == ""


def test_robots_signals():
    robots = (
        "User-agent: *\nDisallow: /private/\n\nUser-agent: Frontdesk\nDisallow: /no-frontdesk/\n"
    )
    assert robots_allows(robots, "https://a.example/blog/feed.xml")
    assert not robots_allows(robots, "https://a.example/no-frontdesk/feed.xml")
    assert robots_directives(["noindex, nofollow"]) == {"noindex", "nofollow"}
    assert robots_directives(["googlebot: noindex"]) == set()
    assert robots_directives(["frontdesk: noai"]) == {"noai"}
    assert forbids_reading({"nofollow"}) == "" and forbids_reading({"noai"}) == "noai"
    page = (
        '<head><meta name="robots" content="noindex"><meta name="description" content="x"></head>'
    )
    assert meta_robots(page) == {"noindex"}


def test_the_crawler_user_agent_names_the_site_and_a_contact(settings):
    settings.PUBLIC_BASE_URL = "https://frontdesk.riverside.example"
    agent = crawler_user_agent("web@riverside.example")
    assert agent == (
        f"Frontdesk/{__version__} (listening crawler; +https://frontdesk.riverside.example;"
        " web@riverside.example)"
    )
    settings.DEFAULT_FROM_EMAIL = "Riverside <help@riverside.example>"
    assert crawler_user_agent().endswith("help@riverside.example)")


def _reference_simhash(text: str, shingle: int = 3) -> int:
    """The plain per-bit loop the stored fingerprints were made with."""
    words = fold_words(text)
    if not words:
        return 0
    if len(words) < shingle:
        grams = [" ".join(words)]
    else:
        grams = [" ".join(words[i : i + shingle]) for i in range(len(words) - shingle + 1)]
    weights = [0] * 64
    for gram in grams:
        value = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def test_simhash_gives_the_stored_fingerprints_bit_for_bit():
    rng = random.Random(23)
    words = ["library", "Riverside", "bücher", "hold", "the", "fines", "ß", "card", "wifi"]
    texts = ["", "one", "two words", "Ünïcode ÅccÉnts here", "a b c d"] + [
        " ".join(rng.choice(words) for _ in range(rng.randint(1, 80))) for _ in range(300)
    ]
    for text in texts:
        assert simhash(text) == _reference_simhash(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Riverside Library's 3D printer, late FINES & fees!",
        "tab\tand\nnew_lines__ x1 2y",
        "".join(chr(c) for c in range(128)),  # every ASCII character
        "",
    ],
)
def test_ascii_text_folds_as_the_full_path_folds_it(text):
    import re
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    slow = re.findall(r"\w+", "".join(c for c in decomposed if not unicodedata.combining(c)))
    assert fold_words(text) == slow
    assert fold_words(text + " é") == [*slow, "e"]  # the full path: one accent more


def _reference_tidy(text: str) -> str:
    """tidy_text without its shortcut for one line of single spaces."""
    import re

    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text.replace("\r\n", "\n"))
    lines = [re.sub(r"[ \t\r\f\v\u00a0\u200b]+", " ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def test_tidy_text_reads_as_without_its_shortcut():
    rng = random.Random(5)
    pieces = ["a", "Riverside", " ", "  ", "\t", "\n", "\r\n", "\x00", "\x1f", "\x7f", "\x85"]
    pieces += ["\u00a0", "\u200b", "\u2003", "\u2028", "é", "\f", "\v", "\x1c", ".", "\r"]
    texts = ["", " ", "plain words", " padded ", "\u2003ends\u2028"] + [
        "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(5000)
    ]
    for text in texts:
        assert tidy_text(text) == _reference_tidy(text), repr(text)
