"""Reads of listening, each taking the workspace first."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from django.db.models import prefetch_related_objects
from django.http import Http404
from django.utils import timezone

from frontdesk.core.http import parse_id
from frontdesk.core.models import Workspace
from frontdesk.listening.models import Mention, MentionStatus, Source, Watch
from frontdesk.listening.query import Query, QueryError, Words, fold, highlight, parse
from frontdesk.triage import priority

PREVIEW_POOL = 500  # a preview reads the workspace's newest mentions
STOPWORDS = frozenset(
    {
        "a",
        "about",
        "after",
        "all",
        "also",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "more",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "out",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "they",
        "this",
        "to",
        "up",
        "was",
        "we",
        "were",
        "what",
        "when",
        "which",
        "who",
        "will",
        "with",
        "you",
        "your",
    }
)


def access_watch(workspace: Workspace, pk: int | str) -> Watch:
    found = Watch.objects.for_workspace(workspace).filter(pk=parse_id(pk) or 0).first()
    if found is None:
        raise Http404("No such watch")
    return found


def access_source(workspace: Workspace, pk: int | str) -> Source:
    found = Source.objects.for_workspace(workspace).filter(pk=parse_id(pk) or 0).first()
    if found is None:
        raise Http404("No such source")
    return found


def access_mention(workspace: Workspace, pk: int | str) -> Mention:
    found = (
        Mention.objects.for_workspace(workspace)
        .select_related("source", "conversation")
        .filter(pk=parse_id(pk) or 0)
        .first()
    )
    if found is None:
        raise Http404("No such mention")
    return found


ORDERS = ("newest", "attention")
# "Priority first" ranks this many of the newest matching mentions by their
# priority score (triage/priority.py, computed from each row's own fields; the wait
# term grows with the clock, so no stored column or index can hold the order).
ATTENTION_WINDOW = 2000


@dataclass(frozen=True)
class MentionFilters:
    watch: int | None = None
    status: str = ""
    sentiment: str = ""
    order: str = "newest"

    @classmethod
    def from_query(cls, data: dict[str, str]) -> MentionFilters:
        status = data.get("status", "")
        sentiment = data.get("sentiment", "")
        return cls(
            watch=parse_id(data.get("watch")),
            status=status if status in (*MentionStatus.values, "open", "removed") else "",
            sentiment=sentiment
            if sentiment in ("negative", "neutral", "positive", "reply")
            else "",
            order=data.get("order", "") if data.get("order", "") in ORDERS else "newest",
        )


def mentions(workspace: Workspace, filters: MentionFilters, *, limit: int = 50) -> list[Mention]:
    # Posts the network removed are hidden unless asked for (their text is gone).
    rows = (
        Mention.objects.for_workspace(workspace)
        .filter(removed_at__isnull=filters.status != "removed")
        .select_related("source", "conversation")
    )
    if filters.watch:
        rows = rows.filter(watches__id=filters.watch)
    if filters.status == "open":
        rows = rows.filter(status__in=[MentionStatus.NEW, MentionStatus.SEEN])
    elif filters.status and filters.status != "removed":
        rows = rows.filter(status=filters.status)
    if filters.sentiment == "reply":
        rows = rows.filter(needs_reply=True)
    elif filters.sentiment:
        rows = rows.filter(sentiment_label=filters.sentiment)
    if filters.order != "attention":
        return list(rows.prefetch_related("watches")[:limit])
    now = timezone.now()
    window = list(rows[:ATTENTION_WINDOW])
    ranked = sorted(
        window, key=lambda m: (-priority.for_mention(m, now).score, -m.found_at.timestamp(), -m.pk)
    )[:limit]
    prefetch_related_objects(ranked, "watches")
    return ranked


def highlighted(mention: Mention, queries: dict[int, Query]) -> dict[str, list[tuple[str, bool]]]:
    """The mention's title and excerpt cut into (piece, is_match) for the page."""
    mine = [queries[w.pk] for w in mention.watches.all() if w.pk in queries]

    def cut(text: str) -> list[tuple[str, bool]]:
        spans: list[tuple[int, int]] = []
        for query in mine:
            spans.extend(query.spans_in(text))
        merged: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return highlight(text, merged)

    return {"title": cut(mention.title), "excerpt": cut(mention.excerpt)}


def compiled(workspace: Workspace) -> dict[int, Query]:
    found = {}
    for watch in Watch.objects.for_workspace(workspace):
        try:
            found[watch.pk] = parse(watch.query)
        except QueryError:
            continue
    return found


@dataclass
class Preview:
    error: QueryError | None
    checked: int
    matches: list[tuple[Mention, list[tuple[str, bool]]]]
    total: int


def preview(workspace: Workspace, text: str, *, shown: int = 8) -> Preview:
    """What a query being typed would match among the workspace's recent mentions."""
    try:
        query = parse(text)
    except QueryError as error:
        return Preview(error=error, checked=0, matches=[], total=0)
    pool = list(Mention.objects.for_workspace(workspace).select_related("source")[:PREVIEW_POOL])
    hits = []
    for mention in pool:
        if query.matches(mention.title, mention.text):
            body = mention.title or mention.excerpt
            hits.append((mention, highlight(body, query.spans_in(body))))
    return Preview(error=None, checked=len(pool), matches=hits[:shown], total=len(hits))


_TOKEN = re.compile(r"[^\W\d_]{3,}")


def suggested_exclusions(watch: Watch, *, limit: int = 5) -> list[tuple[str, int, int]]:
    """Words frequent in the watch's ignored mentions and rare in the kept ones (the
    “Central Library” problem: the other Central Library's posts share a word such as
    a city). Returns (word, ignored count, kept count), best first."""
    try:
        query_words = {w for t in parse(watch.query).terms for w in Words.of(t).words}
    except QueryError:
        query_words = set()
    rows = Mention.objects.filter(workspace_id=watch.workspace_id, watches=watch).values_list(
        "status", "title", "text"
    )[:1000]
    ignored: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    n_ignored = n_kept = 0
    for status, title, text in rows:
        words = set(_TOKEN.findall(fold(f"{title} {text}"))) - STOPWORDS - query_words
        if status == MentionStatus.IGNORED:
            n_ignored += 1
            ignored.update(words)
        else:
            n_kept += 1
            kept.update(words)
    if n_ignored < 2:
        return []
    found = []
    for word, count in ignored.items():
        share_ignored = count / n_ignored
        share_kept = kept[word] / n_kept if n_kept else 0.0
        if count >= 2 and share_ignored >= 0.5 and share_kept <= 0.1:
            found.append((share_ignored - share_kept, word, count, kept[word]))
    found.sort(key=lambda item: (-item[0], -item[2], item[1]))
    return [(word, count, kept_count) for _, word, count, kept_count in found[:limit]]
