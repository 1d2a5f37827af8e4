"""A loopback HTTP server serving feeds as a blog host would: RSS and Atom, ETags,
304s, redirects, failures with Retry-After, and a page announcing its feed."""

from __future__ import annotations

import hashlib
import http.server
import threading
from dataclasses import dataclass, field


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # Set: the answer waits until it is (at most 30 s), as a hung server would.
    hold: threading.Event | None = None


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str], int]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                route = server.routes.get(self.path)
                # Each request is recorded before it is answered: a test that reads
                # `requests` once its client has the answer finds it there.
                if route is None:
                    server.requests.append((self.path, dict(self.headers), 404))
                    self.send_response(404)
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
                if route.status == 200 and self.headers.get("If-None-Match") == etag:
                    server.requests.append((self.path, dict(self.headers), 304))
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                server.requests.append((self.path, dict(self.headers), route.status))
                if route.hold is not None:
                    route.hold.wait(30)
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.status == 200:
                    self.send_header("ETag", etag)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def statuses(self, path: str) -> list[int]:
        return [status for p, _, status in self.requests if p == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def rss(items: list[dict[str, str]], *, title: str = "Town blog") -> bytes:
    entries = "".join(
        "<item>"
        f"<title>{i['title']}</title><link>{i['link']}</link>"
        f'<guid isPermaLink="false">{i["guid"]}</guid>'
        f"<author>{i.get('author', 'dana@example.org (Dana Reader)')}</author>"
        f"<pubDate>{i.get('date', 'Thu, 03 Dec 2026 10:00:00 GMT')}</pubDate>"
        f"<description>{i['text']}</description>"
        "</item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://blog.example/</link><description>News</description>"
        f"{entries}</channel></rss>"
    ).encode()


def atom(items: list[dict[str, str]]) -> bytes:
    entries = "".join(
        "<entry>"
        f'<title>{i["title"]}</title><link href="{i["link"]}"/><id>{i["guid"]}</id>'
        f"<author><name>{i.get('author', 'Planet bot')}</name></author>"
        f"<updated>{i.get('date', '2026-12-03T10:00:00Z')}</updated>"
        f'<content type="html">{i["text"]}</content>'
        "</entry>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Planet Libraries</title><id>urn:planet</id>"
        "<updated>2026-12-03T10:00:00Z</updated>"
        f"{entries}</feed>"
    ).encode()
