"""Storing what a poll found: candidates -> matched, de-duplicated mentions.

Called by the poller with one source's `PollResult`, inside one transaction. A
candidate becomes a mention only when an active watch of the source's workspace
matches it. One story is one mention:
- a post already sighted on this source (its own id) is skipped, so an edit never
  re-alerts;
- a post whose exact fingerprint (folded words) or canonical URL is already a
  mention, or whose SimHash is within a few bits of a recent mention's (a syndicated
  copy with another footer), becomes another sighting of that mention.
New mentions are triaged and may alert (listening/alerts.py). A candidate the
network says was removed (a Reddit removal) marks its mention removed
(listening/removals.py): it leaves the lists, its text is cleared, it alerts no more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy
from django.db import IntegrityError
from django.utils import timezone

from frontdesk.connectors.base import Candidate
from frontdesk.listening import alerts, live, removals, rows, stories
from frontdesk.listening.models import Mention, Sighting, Source, Watch
from frontdesk.listening.query import Query, QueryError
from frontdesk.listening.reading import (
    Post,
    Rule,
    parsed,
    plain,
    read_post,
)

logger = logging.getLogger(__name__)

# How far back a near copy is looked for, and how many mentions at most are compared.
NEAR_WINDOW = timedelta(days=14)
NEAR_POOL = 2000


@dataclass
class IngestReport:
    seen: int = 0
    new_mentions: list[int] = field(default_factory=list)
    duplicates: int = 0
    unmatched: int = 0
    removed: int = 0


def compiled_watches(source: Source) -> list[tuple[Watch, Query]]:
    found = []
    for watch in Watch.objects.for_workspace(source.workspace).filter(is_active=True):
        try:
            found.append((watch, parsed(watch.query)))
        except QueryError:  # stored before a rule changed: skipped, shown on its page
            logger.warning("watch query unreadable", extra={"watch": watch.pk})
    return found


def _reach(candidate: Candidate) -> dict[str, Any]:
    return {
        str(k): v
        for k, v in (candidate.reach or {}).items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }


_MASK = (1 << 64) - 1


class RecentStories:
    """The workspace's recent SimHashes, for near copies: read when first needed, then
    kept up to date with the mentions stored through it (a poller keeps one per
    workspace for all the polls it stores in one go, see polling.poll_due_sources)."""

    def __init__(self, source: Source, now: datetime) -> None:
        self.source, self.now = source, now
        # The NEAR_POOL newest, in a ring: a mention stored through it takes the
        # oldest one's place, so a long round of polls compares each post with as
        # many as one poll does. SimHashes kept unsigned, compared all at once.
        self._hashes: numpy.ndarray[Any, numpy.dtype[numpy.uint64]] | None = None
        self._pks = numpy.zeros(NEAR_POOL, dtype=numpy.int64)
        self._size = self._next = 0

    def _read(self) -> numpy.ndarray[Any, numpy.dtype[numpy.uint64]]:
        hashes = numpy.zeros(NEAR_POOL, dtype=numpy.uint64)
        newest = (
            Mention.objects.for_workspace(self.source.workspace)
            .filter(found_at__gte=self.now - NEAR_WINDOW)
            .exclude(simhash=0)
            .order_by("-found_at")
            .values_list("pk", "simhash")[:NEAR_POOL]
        )
        rows = list(newest)[::-1]  # oldest first
        for n, (pk, other) in enumerate(rows):
            self._pks[n], hashes[n] = pk, other & _MASK
        self._size, self._next = len(rows), len(rows) % NEAR_POOL
        return hashes

    def find(self, simhash: int, title: str, text: str) -> int | None:
        close = self.close_to(simhash)
        if not close:
            return None
        mine = stories.shingles(title, text)
        for pk, other_title, other_text in Mention.objects.filter(pk__in=close).values_list(
            "pk", "title", "text"
        ):
            if stories.same_story(mine, stories.shingles(other_title, other_text)):
                return pk
        return None

    def close_to(self, simhash: int) -> list[int]:
        """The pool's mentions whose SimHash is near `simhash` (stories.maybe_near, for
        the whole pool at once)."""
        if self._hashes is None:
            self._hashes = self._read()
        apart = numpy.bitwise_count(self._hashes[: self._size] ^ numpy.uint64(simhash & _MASK))
        return self._pks[: self._size][apart <= stories.NEAR_CANDIDATE_BITS].tolist()

    def add(self, pk: int, simhash: int) -> None:
        if self._hashes is not None and simhash:
            self._pks[self._next], self._hashes[self._next] = pk, simhash & _MASK
            self._next = (self._next + 1) % NEAR_POOL
            self._size = min(self._size + 1, NEAR_POOL)


_Link = Mention.watches.through
_SIGHTING = ("workspace_id", "source_id", "external_key", "external_id", "mention_id", "seen_at")


def _remove(source: Source, key: str, now: datetime) -> bool:
    sighting = Sighting.objects.filter(source=source, external_key=key).first()
    if sighting is None:
        return False  # never stored: nothing to take back
    return bool(removals.mark_removed([sighting.mention_id], now=now))


def ingest(
    source: Source,
    candidates: tuple[Candidate, ...] | list[Candidate],
    *,
    now: datetime | None = None,
    watches: list[tuple[Watch, Query]] | None = None,
    recent: dict[int, RecentStories] | None = None,
    posts: list[Post | None] | None = None,
) -> IngestReport:
    """Store `candidates` from `source` as mentions (see the module docstring).
    `watches`: the workspace's `compiled_watches`, when the caller has read them;
    `recent`: the caller's RecentStories by workspace id, kept across its polls;
    `posts`: what each candidate is, when it was read already (reading.read_posts,
    with the rules of these `watches`), else it is read here."""
    if watches is None:
        watches = compiled_watches(source)
    if posts is not None and len(posts) != len(candidates):
        raise ValueError("posts takes one item per candidate")
    with live.batched():  # the poll's alerts go to open pages in one hand-over
        return _ingest(
            source,
            candidates,
            now=now or timezone.now(),
            watches=watches,
            recent={} if recent is None else recent,
            posts=posts,
        )


def rules_of(watches: list[tuple[Watch, Query]]) -> list[Rule]:
    """The watches as reading.read_post takes them."""
    return [Rule(watch.pk, watch.query, watch.language) for watch, _ in watches]


def _ingest(
    source: Source,
    candidates: tuple[Candidate, ...] | list[Candidate],
    *,
    now: datetime,
    watches: list[tuple[Watch, Query]],
    recent: dict[int, RecentStories],
    posts: list[Post | None] | None,
) -> IngestReport:
    report = IngestReport()
    rules = rules_of(watches)
    active = {rule.watch_id for rule in rules}
    # First what each post is (matching, its story's keys), without the database.
    found: list[Post] = []
    keys_in_poll: set[str] = set()
    for n, candidate in enumerate(candidates):
        report.seen += 1
        key = stories.key_of(candidate.source_id)
        if candidate.removed:
            report.removed += int(_remove(source, key, now))
            continue
        if key in keys_in_poll:  # the same post twice in one poll
            report.duplicates += 1
            continue
        keys_in_poll.add(key)
        if posts is None:
            post = read_post(candidate, rules, source_id=source.pk)
        else:  # read elsewhere: a watch stopped meanwhile no longer counts
            post = posts[n]
            if post is not None:
                post.matched = [(pk, terms) for pk, terms in post.matched if pk in active]
                post = post if post.matched else None
        if post is None:
            report.unmatched += 1
        else:
            found.append(post)
    if not found:
        return report
    # One read for the whole poll: which of the matching posts this source has sighted
    # before (an edit of a post already stored is not another mention), and the
    # mentions their stories already are.
    known = rows.known(
        source,
        (post.key for post in found),
        (post.fingerprint for post in found),
        (post.canonical for post in found if post.canonical),
    )
    report.duplicates += sum(post.key in known.sighted for post in found)
    found = [post for post in found if post.key not in known.sighted]
    if found:
        pool = recent.get(source.workspace_id)
        if pool is None:
            pool = recent[source.workspace_id] = RecentStories(source, now)
        _store(
            source,
            found,
            report,
            now=now,
            watches=watches,
            rules=rules,
            recent=pool,
            stories=known.stories,
        )
    return report


def _new_mention(source: Source, post: Post, now: datetime, rules: list[Rule]) -> Mention:
    """The mention `post` becomes (not stored yet), triaged."""
    candidate = post.candidate
    analysis = post.reading()
    terms: list[str] = []
    for _, hit_terms in post.matched:
        terms.extend(t for t in hit_terms if t not in terms)
    return Mention(
        workspace=source.workspace,
        source=source,
        external_id=candidate.source_id[:1000],
        url=candidate.url[:2000],
        canonical_url=post.canonical,
        story_key=post.fingerprint,
        simhash=post.simhash,
        author_name=plain(candidate.author_name)[:200],
        author_handle=candidate.author_handle[:200],
        author_url=candidate.author_url[:1000],
        author_email=candidate.author_email[:254],
        title=post.title,
        excerpt=post.excerpt(rules),
        text=post.text,
        language=(candidate.language or analysis.language.label or "")[:8],
        published_at=candidate.published_at,
        found_at=now,
        reach=_reach(candidate),
        matched_terms=terms,
        sentiment_label=analysis.sentiment.label,
        sentiment_score=analysis.sentiment.score,
        sentiment_reason=analysis.sentiment.reason[:300],
        needs_reply=analysis.needs_reply.score >= 1.0,
        needs_reply_reason=analysis.needs_reply.reason[:300],
    )


@dataclass
class _New:
    """A mention this poll makes, before it is stored, and what it alerts."""

    mention: Mention
    watches: list[Watch]
    loud: Watch | None
    shingles: set[str] | None = None

    def same_story(self, simhash: int, title: str, text: str) -> bool:
        """Whether a post with these is a near copy of this one (as `RecentStories.find`)."""
        if not self.mention.simhash or not stories.maybe_near(simhash, self.mention.simhash):
            return False
        if self.shingles is None:
            self.shingles = stories.shingles(self.mention.title, self.mention.text)
        return stories.same_story(stories.shingles(title, text), self.shingles)


def _store(
    source: Source,
    found: list[Post],
    report: IngestReport,
    *,
    now: datetime,
    watches: list[tuple[Watch, Query]],
    rules: list[Rule],
    recent: RecentStories,
    stories: list[tuple[int, str, str]],
) -> None:
    """Store the matching posts not sighted before: each is an existing story (another
    sighting of its mention) or a new mention; the new ones are inserted together.
    `stories`: the workspace's mentions with these posts' story keys or addresses,
    (id, key, address) by id, as `rows.known` reads them."""
    workspace = source.workspace
    # The mentions these stories already are (read whole only when there are some:
    # seldom, a story is sighted once per source).
    keys = {f.fingerprint for f in found}
    urls = {f.canonical for f in found if f.canonical}
    hits = [(pk, key, url) for pk, key, url in stories if key in keys or url in urls]
    stored = Mention.objects.in_bulk([pk for pk, _, _ in hits]) if hits else {}
    by_key: dict[str, Mention] = {key: stored[pk] for pk, key, _ in hits if key in keys}
    by_url: dict[str, Mention] = {}
    for pk, _, url in hits:  # the first stored with the address
        if url in urls:
            by_url.setdefault(url, stored[pk])
    new: list[_New] = []
    # Each post's mention and the watches that found it: linked and sighted once stored.
    seen: list[tuple[Post, Mention]] = []
    by_id = {watch.pk: watch for watch, _ in watches}
    for post in found:
        existing = by_key.get(post.fingerprint) or (
            by_url.get(post.canonical) if post.canonical else None
        )
        if existing is None and post.simhash:
            # A near copy of a mention this poll makes (the newest first), else of a
            # recent stored one.
            existing = next(
                (
                    n.mention
                    for n in reversed(new)
                    if n.same_story(post.simhash, post.title, post.text)
                ),
                None,
            )
            if existing is None:
                near = recent.find(post.simhash, post.title, post.text)
                existing = Mention.objects.filter(pk=near).first() if near else None
        if existing is None:
            existing = _new_mention(source, post, now, rules)
            found_by = [by_id[pk] for pk, _ in post.matched]
            loud = alerts.on_new_mention(existing, found_by, now=now)
            new.append(_New(existing, found_by, loud))
            by_key[post.fingerprint] = existing
            if post.canonical:
                by_url.setdefault(post.canonical, existing)
        else:
            report.duplicates += 1
            reach = _reach(post.candidate)
            if reach:  # a copy seen later may have counted more
                merged = dict(existing.reach)
                for name, value in reach.items():
                    merged[name] = max(value, merged.get(name, 0))
                existing.reach = merged
                if existing.pk is not None:  # a new one is stored with it
                    Mention.objects.filter(pk=existing.pk).update(reach=merged)
        seen.append((post, existing))
    lost = _insert(new, workspace)
    touched: dict[int, Watch] = {}
    for made in new:
        if id(made.mention) not in lost:
            report.new_mentions.append(made.mention.pk)
            recent.add(made.mention.pk, made.mention.simhash)
            alerts.announce(made.mention, made.loud)
            for watch in made.watches:
                touched[watch.pk] = watch
    # Which watches found each mention, and which posts this source has now sighted:
    # written together (the unique constraints skip what is already there).
    links: list[tuple[int, int]] = []
    sightings: list[tuple[Any, ...]] = []
    for post, mention in seen:
        mention = lost.get(id(mention), mention)
        links.extend((mention.pk, pk) for pk, _ in post.matched)
        sightings.append(
            (workspace.pk, source.pk, post.key, post.candidate.source_id[:1000], mention.pk, now)
        )
    rows.insert_ignoring(_Link, ("mention_id", "watch_id"), links)
    rows.insert_ignoring(Sighting, _SIGHTING, sightings)
    for watch in touched.values():
        alerts.check_spike(watch, now=now)


def _insert(new: list[_New], workspace: Any) -> dict[int, Mention]:
    """Store the new mentions, one INSERT for all of them. Returns the stored mention
    for each of ours (by `id()`) another poller stored a moment before (the same story
    from another source): that one is the story's mention, ours is not stored."""
    mentions = [made.mention for made in new]
    stored = {id(mention) for mention in rows.insert_new(Mention, mentions, "story_key")}
    skipped = {m.story_key: m for m in mentions if id(m) not in stored}
    if not skipped:
        return {}
    theirs = {
        m.story_key: m
        for m in Mention.objects.filter(workspace=workspace, story_key__in=list(skipped))
    }
    lost: dict[int, Mention] = {}
    for key, mention in skipped.items():
        if key not in theirs:  # not a story stored meanwhile: a row the table refused
            raise IntegrityError(f"mention not stored and no stored story {key!r}")
        lost[id(mention)] = theirs[key]
    return lost
