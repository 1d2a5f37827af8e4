"""Every file in ../shared/corpora/feeds/ (see its SOURCE.md) either yields entries or
a clear per-feed error, never a crash; and we read at least as many as feedparser
alone does. The counts are printed (pytest -s) for the report."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from frontdesk.connectors.rss.parse import NotAFeed, parse_feed

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT.parent / "shared" / "corpora" / "feeds"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="no ../shared/corpora/feeds here")


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCE.md")


def test_every_corpus_feed_yields_entries_or_a_clear_error():
    files = corpus_files()
    assert files
    ours = theirs = failed = 0
    worse: list[str] = []
    for path in files:
        body = path.read_bytes()
        baseline = len(feedparser.parse(body).entries) > 0
        try:
            feed = parse_feed(body)
        except NotAFeed as error:
            assert error.message.endswith((".", ")")) and len(error.message) > 20
            assert error.permanent
            mine = False
            failed += 1
        else:
            mine = len(feed.entries) > 0
            for entry in feed.entries:
                assert entry.source_id
                assert entry.published_at is None or entry.published_at.utcoffset() is not None
                assert "<script" not in entry.body.lower()
        ours += mine
        theirs += baseline
        if baseline and not mine:
            worse.append(str(path.relative_to(CORPUS)))
    print(
        f"\nfeeds corpus: {len(files)} files; with entries: ours {ours}, feedparser alone "
        f"{theirs}; clear per-feed errors: {failed}"
    )
    assert not worse, worse
    assert ours >= theirs


def test_the_sanitize_corpus_leaves_no_markup_or_script_in_text():
    hostile = sorted((CORPUS / "feedparser" / "wellformed" / "sanitize").glob("*"))
    for path in hostile:
        try:
            feed = parse_feed(path.read_bytes())
        except NotAFeed:
            continue
        for entry in feed.entries:
            text = f"{entry.title}\n{entry.body}".lower()
            assert "<script" not in text and "javascript:" not in text, path.name
            assert "onclick=" not in text and "<iframe" not in text, path.name


def _read_all(files: list[Path]) -> list[object]:
    out: list[object] = []
    for path in files:
        # A base address as a poll gives one, so relative links and xml:base resolve.
        url = f"https://feeds.example.org/corpus/{path.parent.name}/{path.name}"
        try:
            out.append(parse_feed(path.read_bytes(), url=url))
        except NotAFeed as error:
            out.append(("not a feed", error.message, error.feed_links))
    return out


def test_cached_base_joins_read_every_corpus_feed_alike(monkeypatch):
    """parse.py remembers feedparser's join of an element's base address: every corpus
    feed (feedparser's own xml:base and relative-link cases among them) reads the
    same with feedparser's own, uncached function."""
    import feedparser.mixin

    from frontdesk.connectors.rss import parse

    files = corpus_files()
    assert feedparser.mixin.make_safe_absolute_uri is parse._remembered_safe_absolute_uri
    parse._safe_absolute_uri.cache_clear()
    cached = _read_all(files)
    assert parse._safe_absolute_uri.cache_info().hits > 0
    monkeypatch.setattr(
        feedparser.mixin, "make_safe_absolute_uri", parse._uncached_safe_absolute_uri
    )
    plain = _read_all(files)
    assert len(cached) == len(plain) == len(files)
    different = [
        str(path.relative_to(CORPUS))
        for path, a, b in zip(files, cached, plain, strict=True)
        if a != b
    ]
    assert not different, different
    resolved = [
        f
        for f in cached
        if not isinstance(f, tuple)
        and any(c.url.startswith("https://feeds.example.org/") for c in f.entries)
    ]
    assert resolved  # some relative links were resolved against the feed's address
