"""Feeds of every dialect read into candidates: readable text, aware dates, stable ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frontdesk.connectors.rss.discover import discover_feeds
from frontdesk.connectors.rss.parse import NotAFeed, parse_feed
from frontdesk.connectors.tests.loopback import fixture


def test_rss2_entries_have_plain_text_aware_dates_guids_and_authors():
    feed = parse_feed(fixture("rss2.xml"), url="https://maple.example/blog/feed.xml")
    assert (feed.format, feed.title, feed.link) == (
        "rss",
        "Maple Street Reading Notes",
        "https://maple.example/blog/",
    )
    assert feed.ttl_seconds == 3600
    first, second = feed.entries
    assert first.source_id == "maple-2026-11-self-checkout"
    assert first.published_at == datetime(2026, 11, 24, 21, 5, tzinfo=UTC)
    assert first.author_name == "Jo Park"
    # content:encoded wins over the shorter description; script and style are gone.
    assert first.body == (
        "I tried the new self-checkout at Riverside Library today.\n\n"
        "It kept saying \u201cError 4\u201d until a librarian helped."
    )
    assert "alert" not in first.body and "color" not in first.body
    # An escaped-HTML description is read as HTML; the RSS author gives an address.
    assert second.body == "Thanks to the children's team at Riverside & everyone who came."
    assert (second.author_name, second.author_email) == ("Jo Park", "jo@maple.example")


def test_rdf_atom_and_json_feed_are_read_too():
    rdf = parse_feed(fixture("rdf.xml"), url="https://council.example/news.rdf")
    assert rdf.format == "rdf" and rdf.ttl_seconds == 43200  # daily, twice
    (notice,) = rdf.entries
    assert notice.published_at == datetime(2026, 11, 18, 8, 30, tzinfo=UTC)
    assert notice.author_name == "Council press office"

    atom = parse_feed(fixture("atom.xml"), url="https://ana.example/atom.xml")
    assert atom.format == "atom" and atom.link == "https://ana.example/"
    (post,) = atom.entries
    assert post.title == "Why I gave up on the library app"
    assert post.url == "https://ana.example/2026/11/library-app"  # relative link resolved
    assert post.body == (
        "The Riverside Library app logs me out every day.\n"
        "Renewing a book takes five taps.\n\na screenshot"
    )
    assert (post.author_email, post.author_url) == ("ana@ana.example", "https://ana.example/about")
    assert post.published_at == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)

    jf = parse_feed(fixture("feed.json"), url="https://parents.example/feed.json")
    assert jf.format == "json" and jf.title == "Riverside Parents"
    first, second = jf.entries
    assert first.body == "The homework club at Riverside Library is great."
    assert first.published_at == datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert second.body.startswith("Does anyone know when the Riverside Library reopens")


def test_an_entry_without_guid_keeps_its_id_when_edited():
    template = (
        '<rss version="2.0"><channel><title>t</title>'
        "<item><title>Closed today</title><link>https://x.example/p/1?utm_source=a</link>"
        "<description>{}</description></item></channel></rss>"
    )
    before = parse_feed(template.format("Sorry, closed.").encode()).entries[0]
    after = parse_feed(template.format("Sorry, closed (edited).").encode()).entries[0]
    assert before.source_id == after.source_id and before.source_id.startswith("key:")
    moved = parse_feed(template.replace("utm_source=a", "utm_source=b").format("x").encode())
    assert moved.entries[0].source_id == before.source_id  # tracking params do not count

    no_link = (
        '<rss version="2.0"><channel><item><title>Only a title</title>'
        "<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate>"
        "<description>{}</description></item></channel></rss>"
    )
    a = parse_feed(no_link.format("one").encode()).entries[0]
    b = parse_feed(no_link.format("two").encode()).entries[0]
    assert a.source_id == b.source_id


@pytest.mark.parametrize(
    "body, words",
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"just some text, no markup at all", "not an RSS, Atom or JSON feed"),
        (b'{"hello": "world"}', "JSON but not a JSON Feed"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not an RSS, Atom or JSON feed"),
    ],
)
def test_a_body_that_is_no_feed_gets_a_clear_error(body, words):
    with pytest.raises(NotAFeed) as caught:
        parse_feed(body)
    assert words in caught.value.message
    assert caught.value.permanent is True


def test_a_web_page_is_named_as_such_with_the_feed_it_announces():
    with pytest.raises(NotAFeed) as caught:
        parse_feed(fixture("page.html"), url="https://maple.example/blog/")
    assert "web page (HTML), not a feed" in caught.value.message
    assert caught.value.feed_links[0] == "https://maple.example/blog/feed.xml"


def test_autodiscovery_finds_every_announced_feed_in_order():
    page = fixture("page.html").decode()
    assert discover_feeds(page, base_url="https://maple.example/blog/") == [
        "https://maple.example/blog/feed.xml",
        "https://maple.example/blog/atom.xml",
    ]
    based = (
        '<head><base href="https://cdn.example/site/">'
        '<link rel="alternate feed" type="application/feed+json" href="f.json"></head>'
    )
    assert discover_feeds(based, base_url="https://a.example/") == [
        "https://cdn.example/site/f.json"
    ]
    assert discover_feeds("<p>no head at all", base_url="https://a.example/") == []


def test_a_broken_feed_that_still_has_entries_is_kept_with_a_warning():
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken & proud</title>'
        b"<item><title>Still here</title><link>https://b.example/1</link></item>"
        b"<item><title>Unclosed</title></channel></rss>"
    )
    feed = parse_feed(body)
    assert [e.title for e in feed.entries][:1] == ["Still here"]
    assert feed.warning.startswith("Recovered from a malformed feed")


def test_gzip_bytes_without_a_content_encoding_are_read():
    import gzip

    feed = parse_feed(gzip.compress(fixture("rss2.xml")))
    assert len(feed.entries) == 2
