"""Polling 5,000 feeds: our feed connector (fetch + parse, robots.txt, conditional GET,
next-poll hints) beside a plain concurrent httpx + feedparser pass over the same
feeds, in the same run, from a local HTTP server in its own process.

The feeds: 70 % small (10 entries), 25 % medium (40), 5 % large (150), RSS and Atom;
5 % fail (500 / 404 / 410), 5 % are slow (0.3 s before a full body). Every feed has an
ETag and answers a matching If-None-Match with 304 at once.

Passes: the baseline (one shared httpx client, N threads, GET + feedparser.parse);
our first pass (FeedConnector.poll from an empty cursor); the baseline again (the
ratio uses the mean of both baseline runs, as load drifts on a shared machine); our
second pass with the cursors the first returned (all 304). Printed: seconds, feeds/s,
and the ratios first/baseline and second/first.

This measures the connector layer (fetch + parse) only: storing, matching and
dedupe are the listening app's (branch listen-app) and are not included here.

    .venv/bin/python benchmarks/feeds_poll.py [--feeds 5000] [--threads 16]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")

from benchmarks.common import log  # noqa: E402

SLOW_SECONDS = 0.3
WORDS = [
    "library", "riverside", "book", "holds", "renew", "card", "wifi", "closed", "open",
    "hours", "event", "story", "children", "staff", "catalog", "app", "fine", "fee", "late",
    "printer", "study", "room", "makerspace", "reading", "club", "author", "talk",
]  # fmt: skip


def _entry(rng: random.Random, feed: int, n: int, atom: bool) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 120)))
    title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize()
    day = 1 + (n % 27)
    if atom:
        return (
            f"<entry><title>{title}</title><id>tag:f{feed}.example,2026:{n}</id>"
            f'<link href="https://f{feed}.example/p/{n}"/>'
            f"<updated>2026-11-{day:02d}T10:00:00Z</updated>"
            f'<content type="html">&lt;p&gt;{text}&lt;/p&gt;</content></entry>'
        )
    return (
        f"<item><title>{title}</title><guid>https://f{feed}.example/p/{n}</guid>"
        f"<link>https://f{feed}.example/p/{n}?utm_source=rss</link>"
        f"<pubDate>Tue, {day:02d} Nov 2026 10:00:00 GMT</pubDate>"
        f"<description><![CDATA[<p>{text}</p>]]></description></item>"
    )


def build_feeds(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    feeds = []
    for i in range(count):
        roll = rng.random()
        entries = 10 if roll < 0.70 else 40 if roll < 0.95 else 150
        atom = rng.random() < 0.3
        body = "".join(_entry(rng, i, n, atom) for n in range(entries))
        if atom:
            doc = (
                f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>Feed {i}</title><id>tag:f{i}</id>{body}</feed>"
            )
        else:
            doc = (
                f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Feed {i}</title><link>https://f{i}.example/</link><ttl>30</ttl>"
                f"{body}</channel></rss>"
            )
        kind = rng.random()
        feeds.append(
            {
                "body": doc.encode(),
                "fail": rng.choice((500, 404, 410)) if kind < 0.05 else 0,
                "slow": 0.05 <= kind < 0.10,
                "etag": f'"f{i}-v1"',
            }
        )
    return feeds


def serve(port_out: Any, count: int) -> None:
    feeds = build_feeds(count)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
                return
            try:
                feed = feeds[int(self.path.strip("/").split("/")[-1].split(".")[0])]
            except (ValueError, IndexError):
                self._send(404, b"no", "text/plain")
                return
            if feed["fail"]:
                self._send(feed["fail"], b"failing", "text/plain")
                return
            if self.headers.get("If-None-Match") == feed["etag"]:
                self._send(304, b"", None, feed["etag"])
                return
            if feed["slow"]:
                time.sleep(SLOW_SECONDS)
            self._send(200, feed["body"], "application/rss+xml", feed["etag"])

        def _send(self, status: int, body: bytes, kind: str | None, etag: str = "") -> None:
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 512

    server = Server(("127.0.0.1", 0), Handler)
    port_out.put(server.server_address[1])
    server.serve_forever()


def baseline_pass(urls: list[str], threads: int) -> tuple[float, int, int]:
    import feedparser
    import httpx

    entries = failures = 0
    lock = threading.Lock()
    client = httpx.Client(timeout=20.0, limits=httpx.Limits(max_connections=threads * 2))

    def one(url: str) -> None:
        nonlocal entries, failures
        try:
            response = client.get(url)
            response.raise_for_status()
            found = len(feedparser.parse(response.content).entries)
            with lock:
                entries += found
        except httpx.HTTPError:
            with lock:
                failures += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, urls))
    client.close()
    return time.perf_counter() - started, entries, failures


def our_pass(
    urls: list[str], cursors: dict[str, Any], threads: int
) -> tuple[float, int, int, int, dict[str, Any]]:
    from frontdesk.connectors.base import ConnectorError
    from frontdesk.connectors.rss.adapter import FeedAccount, FeedConnector

    connector = FeedConnector()
    entries = failures = not_modified = 0
    lock = threading.Lock()
    out: dict[str, Any] = {}

    def one(url: str) -> None:
        nonlocal entries, failures, not_modified
        try:
            result = connector.poll(FeedAccount(url=url), cursors.get(url, {}))
        except ConnectorError:
            with lock:
                failures += 1
            return
        with lock:
            entries += len(result.candidates)
            not_modified += result.not_modified
            out[url] = result.cursor

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, urls))
    return time.perf_counter() - started, entries, failures, not_modified, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()

    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # both sides log alike; not measured

    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports, args.feeds), daemon=True)
    server.start()
    port = ports.get(timeout=300)
    urls = [f"http://127.0.0.1:{port}/feeds/{i}.xml" for i in range(args.feeds)]
    log(f"{args.feeds} feeds served on port {port}; {args.threads} threads per pass")
    try:
        base_s, base_entries, base_fail = baseline_pass(urls, args.threads)
        log(
            f"baseline httpx + feedparser: {base_s:.1f} s, {base_entries} entries, "
            f"{base_fail} failed"
        )
        first_s, first_entries, first_fail, _nm, cursors = our_pass(urls, {}, args.threads)
        log(f"ours, first pass:   {first_s:.1f} s, {first_entries} entries, {first_fail} failed")
        again_s, _e, _f = baseline_pass(urls, args.threads)
        log(f"baseline again (load drifts on a shared machine): {again_s:.1f} s")
        base_s = (base_s + again_s) / 2
        second_s, second_entries, second_fail, nm, _c = our_pass(urls, cursors, args.threads)
        log(
            f"ours, second pass:  {second_s:.1f} s, {second_entries} new entries, "
            f"{nm} not modified (304), {second_fail} failed"
        )
    finally:
        server.terminate()
        server.join(timeout=5)
    print()
    print(
        f"feeds/s  baseline {args.feeds / base_s:.0f}, first {args.feeds / first_s:.0f}, "
        f"second {args.feeds / second_s:.0f}"
    )
    print(f"first pass / baseline : {first_s / base_s:.2f}x   (target <= 1.5x incl. storage)")
    print(f"second pass / first   : {second_s / first_s:.1%}   (target < 10 %)")
    print(
        f"entries equal to baseline's: {first_entries == base_entries}; "
        f"duplicates on the second pass: {second_entries}"
    )


if __name__ == "__main__":
    main()
