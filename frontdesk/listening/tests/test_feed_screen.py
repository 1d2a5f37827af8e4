"""The feed poller's screen before reading entries (reading.screen on
connectors.rss.parse.screen_text): an entry it turns away is one no watch can match.
Proved on hand-written markup that splits, escapes and hides words, on every entry of
the feeds corpus with queries made from the entry's own words, and end to end."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from frontdesk.connectors.listening_common import fold_words
from frontdesk.connectors.rss.parse import NotAFeed, parse_feed
from frontdesk.listening.ingest import plain
from frontdesk.listening.models import Mention
from frontdesk.listening.polling import poll_due_sources
from frontdesk.listening.query import parse
from frontdesk.listening.reading import screen as watch_screen_of
from frontdesk.listening.tests.feedserver import FeedServer, Route, atom, rss

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpora" / "feeds"


def _screen(*queries: str):
    screen = watch_screen_of(parse(q) for q in queries)
    assert screen is not None
    return screen


def _matches(query: str, title: str, body: str) -> bool:
    """As ingest matches: the candidate's title and body made plain, then the query."""
    return parse(query).match(plain(title)[:500], plain(body)[:20_000]) is not None


TRICKY = [
    ("Riverside <b>Library</b> is open late", '"riverside library"'),
    ("the River<i>side</i> Li<b>brary</b>", '"riverside library"'),
    ("<p>Caf&eacute; at the library</p>", "cafe AND library"),
    ("<p>CAF&Eacute; night</p>", "café"),
    ('<img alt="Riverside Library logo" src="x.png"> photo', '"riverside library"'),
    ("markup as text: Riverside Li&lt;b&gt;brary", '"riverside library"'),
    ("twice escaped: Riverside &amp;amp; Library", '"riverside library"'),
    ("R&#105;verside Library", '"riverside library"'),
    ("1 &lt; 2 at the Li<b>brary</b>", "library"),
    ('<a title="x>y">River</a>side Library', '"riverside library"'),
    ("a < b and Riverside Library > c", '"riverside library"'),
    ("Stra&szlig;e der Bibliothek", "strasse"),
    ("<p>Riverside</p><p>Library</p>", '"riverside library"'),
    ("Riverside\u200bLibrary", '"riverside library"'),
    ("<script>x</script>Riverside Library", '"riverside library"'),
]


def _recorded(document: bytes):
    """The feed read with a `keep` that keeps all, and the screen texts it was given."""
    texts: list[str] = []

    def keep(text: str) -> bool:
        texts.append(text)
        return True

    return parse_feed(document, keep=keep), texts


@pytest.mark.parametrize("markup, query", TRICKY)
def test_split_escaped_and_hidden_words_pass_the_screen(markup, query):
    item = {"title": "Post", "link": "https://blog.example/1", "guid": "tag:b,2026:1"}
    escaped = markup.replace("&", "&amp;").replace("<", "&lt;")
    for document in (
        atom([item | {"text": escaped}]),  # Atom, type="html"
        rss([item | {"text": f"<![CDATA[{markup}]]>"}]),  # RSS, the markup in CDATA
    ):
        feed, texts = _recorded(document)
        (entry,) = feed.entries
        assert _matches(query, entry.title, entry.body), (markup, entry.body)
        assert _screen(query)(texts[0]), (markup, texts[0])


def test_the_screen_turns_away_entries_no_watch_can_match_and_keeps_their_ids():
    items = [
        {
            "title": "Storytime",
            "link": "https://b.example/1",
            "guid": "a",
            "text": "Riverside Library",
        },
        {
            "title": "Rain",
            "link": "https://b.example/2",
            "guid": "b",
            "text": "&lt;p&gt;Rain&lt;/p&gt;",
        },
    ]
    feed = parse_feed(atom(items), keep=_screen('"riverside library"'))
    assert [e.source_id for e in feed.entries] == ["a", "b"]
    assert feed.screened_out == {"b"}
    assert feed.entries[0].body == "Riverside Library" and feed.entries[1].body == ""
    everything = parse_feed(atom(items))
    assert everything.screened_out == frozenset() and everything.entries[1].body == "Rain"


def test_a_watch_that_matches_without_its_words_screens_nothing():
    assert watch_screen_of([parse("makerspace OR -riverside")]) is None


def _corpus_entries() -> list[tuple[str, str, str]]:
    """(title, body, screen text) of every entry of the corpus, as a poll reads them."""
    out = []
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCE.md"):
        try:
            feed, texts = _recorded(path.read_bytes())
        except NotAFeed:
            continue
        if len(texts) != len(feed.entries):  # a JSON feed: no screen
            continue
        out.extend((e.title, e.body, t) for e, t in zip(feed.entries, texts, strict=True))
    return out


@pytest.mark.skipif(not CORPUS.is_dir(), reason="no ../shared/corpora/feeds here")
def test_every_corpus_entry_a_query_of_its_own_words_matches_passes_the_screen():
    rng = random.Random(23)
    entries = _corpus_entries()
    assert len(entries) > 400
    tried = 0
    for title, body, text in entries:
        words = fold_words(f"{plain(title)}\n{plain(body)}")
        if not words:
            continue
        picks = [rng.randrange(len(words)) for _ in range(3)]
        queries = [words[i] for i in picks]
        queries += [f'"{words[i]} {words[i + 1]}"' for i in picks if i + 1 < len(words)]
        queries += [f"{words[i][:3]}*" for i in picks if len(words[i]) > 3]
        for query in queries:
            try:
                parsed = parse(query)
            except ValueError:  # a word the query language reads as an operator
                continue
            if _matches(query, title, body):
                tried += 1
                assert watch_screen_of([parsed])(text), (query, title, body[:200])  # type: ignore[misc]
    assert tried > 1000


@pytest.mark.django_db
def test_a_polled_feed_stores_a_phrase_split_by_tags_and_skips_the_rest(
    settings, make_watch, make_source
):
    settings.LISTENING_HOST_DELAY_SECONDS = 0
    make_watch('"riverside library"')
    server = FeedServer()
    try:
        items = [
            {
                "title": "Late again",
                "link": "https://blog.example/1",
                "guid": "tag:blog.example,2026:split",
                "text": "&lt;p&gt;Riverside &lt;b&gt;Library&lt;/b&gt; closed early&lt;/p&gt;",
            },
            {
                "title": "Rain",
                "link": "https://blog.example/2",
                "guid": "tag:blog.example,2026:rain",
                "text": "Rain.",
            },
        ]
        server.routes["/feed.xml"] = Route(body=atom(items))
        source = make_source(url=server.url("/feed.xml"))
        (outcome,) = poll_due_sources()
    finally:
        server.close()
    assert [c.source_id for c in outcome.result.candidates] == ["tag:blog.example,2026:split"]
    mention = Mention.objects.get()
    assert mention.text == "Riverside Library closed early"
    source.refresh_from_db()
    assert len(source.cursor["seen"]) == 2  # the one turned away is seen all the same
