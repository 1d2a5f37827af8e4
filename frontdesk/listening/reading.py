"""What a post is, before the database is asked anything: the watches it matches,
its story's keys, its excerpt and triage's reading of it.

Pure (no models, no queries): `polling` runs it where the feeds are fetched and
parsed, which may be another process (listening.fetcher), so the storing thread only
stores. A watch travels as a `Rule` (its id, query text and language), which
pickles; its `Query` is parsed once per process.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import nh3

from frontdesk.connectors.base import Candidate
from frontdesk.listening import stories
from frontdesk.listening.query import Query, fold, parse
from frontdesk.triage.pipeline import Reading

EXCERPT_CHARS = 400
TEXT_CHARS = 20_000
# Shorter texts are compared exactly only: a SimHash of a few words says little.
NEAR_MIN_WORDS = 12


def plain(text: str) -> str:
    """Text as a person reads it: tags removed, entities decoded, spaces collapsed."""
    if "<" in text or "&" in text:
        text = html.unescape(nh3.clean(text, tags=set()))
    return " ".join(text.split())


@lru_cache(maxsize=512)
def parsed(query: str) -> Query:
    return parse(query)  # a Query is immutable: one parse serves every poll


@dataclass(frozen=True)
class Rule:
    """A watch as matching needs it: which one, what it looks for, in which language."""

    watch_id: int
    query: str
    language: str = ""

    @property
    def compiled(self) -> Query:
        return parsed(self.query)


def screen(queries: Iterable[Query]) -> Callable[[str], bool] | None:
    """A test of a post's text as a source wrote it (markup and entities included, as
    connectors.rss.parse.screen_text gives it) that says no only to posts none of
    `queries` can match: each query's screen (query.Query.may_match) on its folded
    words. None when some query can match a post without any of its words."""
    tests = []
    for query in queries:
        if query.screen is None:
            return None
        tests.append(query.screen)

    def keep(text: str) -> bool:
        folded = fold(text)
        return any(test(folded) for test in tests)

    return keep


def excerpt(text: str, spans: list[tuple[int, int]]) -> str:
    """About EXCERPT_CHARS of `text` around its first match."""
    if len(text) <= EXCERPT_CHARS:
        return text
    start = max(0, (spans[0][0] if spans else 0) - EXCERPT_CHARS // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 40 else start
    piece = text[start : start + EXCERPT_CHARS]
    return ("…" if start else "") + piece.rstrip() + "…"


@dataclass
class Post:
    """A post some watch matched, with its story's keys, before it is stored.
    `matched`: (watch id, terms found) for each watch that matched it."""

    candidate: Candidate
    key: str
    title: str
    text: str
    matched: list[tuple[int, list[str]]]
    analysis: Reading | None
    canonical: str
    fingerprint: str
    simhash: int
    summary: str | None = None  # the excerpt, once worked out

    def reading(self) -> Reading:
        if self.analysis is None:
            self.analysis = Reading(f"{self.title}\n{self.text}")
        return self.analysis

    def excerpt(self, rules: Iterable[Rule]) -> str:
        """About EXCERPT_CHARS of the text around the first match of any of `rules`."""
        if self.summary is None:
            spans: list[tuple[int, int]] = []
            if len(self.text) > EXCERPT_CHARS:  # a shorter text is its own excerpt
                spans = sorted(s for r in rules for s in r.compiled.spans_in(self.text))[:1]
            self.summary = excerpt(self.text, spans)
        return self.summary

    def read_ahead(self, rules: Iterable[Rule]) -> Post:
        """Work out now what storing it as a new mention reads (its excerpt, triage's
        findings), and drop what it does not keep, so the post travels light between
        processes."""
        self.excerpt(rules)
        reading = self.reading()
        _ = reading.sentiment, reading.needs_reply
        if not self.candidate.language:
            _ = reading.language
        reading.__dict__.pop("evidence", None)
        return self


def read_post(candidate: Candidate, rules: list[Rule], *, source_id: int) -> Post | None:
    """`candidate` with the watches it matches and its story's keys (None: no watch)."""
    title = plain(candidate.title)[:500]
    text = plain(candidate.body)[:TEXT_CHARS]
    matched: list[tuple[int, list[str]]] = []
    analysis = None
    folded = fold(f"{title}\n{text}")  # as `match` reads them; most posts fail the screen
    for rule in rules:
        query = rule.compiled
        if not query.may_match(folded):
            continue
        hit = query.match(title, text)
        if hit is None:
            continue
        if rule.language:
            if analysis is None:
                analysis = Reading(f"{title}\n{text}")
            language = (candidate.language or analysis.language.label or "").lower()[:2]
            if language and language != rule.language[:2]:
                continue
        matched.append((rule.watch_id, hit.terms))
    if not matched:
        return None
    canonical = stories.canonical_url(candidate.url)[:1000]
    if title or text:
        fingerprint = stories.fingerprint(title, text)
    else:  # nothing to hash: the post is its address
        fingerprint = stories.key_of(canonical or f"{source_id}:{candidate.source_id}")
    simhash = stories.simhash(title, text) if len(text.split()) >= NEAR_MIN_WORDS else 0
    key = stories.key_of(candidate.source_id)
    return Post(candidate, key, title, text, matched, analysis, canonical, fingerprint, simhash)


def read_posts(
    candidates: Iterable[Candidate], rules: list[Rule], *, source_id: int
) -> list[Post | None]:
    """`read_post` of each candidate a network did not remove (None for the others and
    for those no watch matches), each read ahead (`Post.read_ahead`)."""
    posts: list[Post | None] = []
    for candidate in candidates:
        post = None if candidate.removed else read_post(candidate, rules, source_id=source_id)
        posts.append(post.read_ahead(rules) if post is not None else None)
    return posts
