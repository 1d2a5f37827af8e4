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
