"""`frontdesk feeds parse` and `frontdesk sources try`: the polling code, storing
nothing, JSON with exactly the documented fields, exit 0 when they ran, 2 on usage
errors (and 1 when a tried source failed)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from frontdesk.connectors.reddit import adapter as reddit
from frontdesk.connectors.tests.loopback import FIXTURES, fixture, serve

ROOT = Path(__file__).resolve().parents[3]
FEED_KEYS = ("source", "ok", "error", "format", "title", "link", "entries", "items")
ITEM_KEYS = ("id", "url", "canonical_url", "title", "author", "published", "text")
CANDIDATE_KEYS = (
    "source",
    "external_id",
    "url",
    "author",
    "author_url",
    "text",
    "published",
    "reach",
)
JSON = {"Content-Type": "application/json"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "frontdesk.settings"}
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=120,
    )


@pytest.fixture
def feed_folder(tmp_path):
    folder = tmp_path / "feeds"
    (folder / "more").mkdir(parents=True)
    shutil.copy(FIXTURES / "rss2.xml", folder / "a.xml")
    shutil.copy(FIXTURES / "atom.xml", folder / "more" / "b.atom")
    shutil.copy(FIXTURES / "feed.json", folder / "more" / "c.json")
    (folder / "not-a-feed.txt").write_text("Dear diary, today I read a book.")
    (folder / "SOURCE.md").write_text("# notes, not a feed\n")
    (folder / ".hidden.xml").write_bytes(fixture("rss2.xml"))
    return folder


def test_feeds_parse_json_has_exactly_the_documented_fields(feed_folder):
    out = io.StringIO()
    call_command("feeds", "parse", str(feed_folder), "--json", stdout=out, stderr=io.StringIO())
    reports = json.loads(out.getvalue())
    names = [Path(r["source"]).name for r in reports]
    assert names == ["a.xml", "b.atom", "c.json", "not-a-feed.txt"]
    for report in reports:
        assert tuple(report) == FEED_KEYS
        for item in report["items"]:
            assert tuple(item) == ITEM_KEYS
    rss, atom, jf, bad = reports
    assert rss["ok"] and rss["error"] is None and rss["format"] == "rss" and rss["entries"] == 2
    first = rss["items"][0]
    assert first["published"] == "2026-11-24T21:05:00Z"
    assert first["canonical_url"] == "https://maple.example/blog/2026/11/self-checkout"
    assert "utm_source" in first["url"] and "<" not in first["text"]
    assert atom["format"] == "atom" and atom["items"][0]["author"] == "Ana Souza"
    assert jf["format"] == "json" and jf["title"] == "Riverside Parents"
    assert bad == {
        "source": str(feed_folder / "not-a-feed.txt"),
        "ok": False,
        "error": "This is not an RSS, Atom or JSON feed (syntax error at line 2, column 1).",
        "format": None,
        "title": None,
        "link": None,
        "entries": 0,
        "items": [],
    }


def test_feeds_parse_reads_a_page_url_through_autodiscovery_and_summarises():
    page = fixture("page.html").replace(b"/blog/feed.xml", b"/feed.xml")
    routes = {
        "/blog/": lambda s: (200, {"Content-Type": "text/html"}, page),
        "/feed.xml": lambda s: (200, {"Content-Type": "application/rss+xml"}, fixture("rss2.xml")),
        "/gone.xml": lambda s: (410, {}, b""),
    }
    with serve(routes) as peer:
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "feeds",
            "parse",
            peer.url + "/blog/",
            peer.url + "/gone.xml",
            "--json",
            stdout=out,
            stderr=err,
        )
        page_report, gone = json.loads(out.getvalue())
        assert page_report["ok"] and page_report["entries"] == 2
        assert page_report["source"] == peer.url + "/blog/"
        assert not gone["ok"] and "is gone for good (HTTP 410)" in gone["error"]
        summary = io.StringIO()
        call_command("feeds", "parse", peer.url + "/blog/", stdout=summary, stderr=io.StringIO())
    text = summary.getvalue()
    assert "✓" in text and "Maple Street Reading Notes" in text and "2 entries" in text
    assert "1 feeds: 1 read (1 with entries), 0 failed." in text


def test_feeds_parse_as_a_process_exit_codes(feed_folder):
    done = run("feeds", "parse", str(feed_folder / "a.xml"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["entries"] == 2
    assert "[1/1]" in done.stderr  # progress goes to stderr
    done = run("feeds", "parse", str(feed_folder / "missing.xml"))
    assert done.returncode == 2 and "No such file or folder" in done.stderr
    done = run("feeds", "parse")
    assert done.returncode == 2 and "usage:" in done.stderr
    done = run("feeds")
    assert done.returncode == 2


def test_sources_try_hackernews_against_a_stand_in_prints_candidates():
    routes = {"/api/v1/search_by_date": lambda s: (200, JSON, fixture("hn_search.json"))}
    with serve(routes) as peer:
        out = io.StringIO()
        call_command(
            "sources", "try", "hackernews", "--query", "riverside library",
            "--base-url", peer.url, "--json", stdout=out, stderr=io.StringIO(),
        )  # fmt: skip
        assert peer.seen[0].query["query"] == ["riverside library"]
    rows = json.loads(out.getvalue())
    assert [tuple(r) for r in rows] == [CANDIDATE_KEYS] * 2
    comment, story = rows
    assert comment["source"] == "hackernews" and comment["external_id"] == "42000222"
    assert comment["published"] == "2026-11-26T12:01:05Z" and comment["author"] == "pgreer"
    assert story["reach"] == {"points": 128, "comments": 64}
    assert story["text"] == "Open-source library catalogs in 2026"


def test_sources_try_each_network_through_base_url(monkeypatch):
    monkeypatch.setattr(reddit, "_TOKENS", {})
    monkeypatch.setattr(reddit, "BUDGET", reddit.QueryBudget())
    routes = {
        "/api/v1/timelines/tag/riversidelibrary": lambda s: (
            200,
            JSON,
            fixture("mastodon_tag.json"),
        ),
        "/xrpc/app.bsky.feed.searchPosts": lambda s: (200, JSON, fixture("bluesky_search.json")),
        "/api/v1/access_token": lambda s: (200, JSON, fixture("reddit_token.json")),
        "/search.json": lambda s: (200, JSON, fixture("reddit_search.json")),
        "/feed.xml": lambda s: (200, {"Content-Type": "application/rss+xml"}, fixture("rss2.xml")),
    }
    monkeypatch.setenv("FRONTDESK_BLUESKY_TOKEN", "jwt-from-env")
    with serve(routes) as peer:
        found = {}
        for kind, extra in (
            ("mastodon", ["--query", "riversidelibrary"]),
            ("bluesky", ["--query", "Riverside Library"]),
            (
                "reddit",
                ["--query", "Riverside Library", "--client-id", "c", "--client-secret", "s"],
            ),
            ("rss", ["--url", peer.url + "/feed.xml", "--query", "self-checkout"]),
        ):
            out = io.StringIO()
            call_command(
                "sources", "try", kind, *extra, "--base-url", peer.url, "--json",
                stdout=out, stderr=io.StringIO(),
            )  # fmt: skip
            found[kind] = json.loads(out.getvalue())
        bluesky_request = peer.requests_to("/xrpc/app.bsky.feed.searchPosts")[0]
        assert bluesky_request.headers["authorization"] == "Bearer jwt-from-env"
    assert [r["author"] for r in found["mastodon"]] == ["@kai"]
    assert "<" not in found["mastodon"][0]["text"]
    assert [r["author"] for r in found["bluesky"]] == ["@dana.bsky.social"]
    assert [r["external_id"] for r in found["reddit"]] == ["t3_1h0abce", "t3_1h0abcd"]
    assert [r["external_id"] for r in found["rss"]] == ["maple-2026-11-self-checkout"]


def test_sources_try_exit_codes_as_a_process():
    done = run("sources", "try", "gopher", "--query", "x")
    assert done.returncode == 2 and "invalid choice" in done.stderr
    done = run("sources", "try", "hackernews")
    assert done.returncode == 2 and "needs --query" in done.stderr
    with serve({"/api/v1/search_by_date": lambda s: (503, {"Retry-After": "30"}, b"")}) as peer:
        done = run("sources", "try", "hackernews", "--query", "x", "--base-url", peer.url)
    assert done.returncode == 1 and "failed (temporary)" in done.stderr
    with serve(
        {"/api/v1/search_by_date": lambda s: (200, JSON, fixture("hn_search.json"))}
    ) as peer:
        done = run("sources", "try", "hackernews", "--query", "x", "--base-url", peer.url)
    assert done.returncode == 0 and "pgreer" in done.stdout and "2 candidates" in done.stderr
