"""Feed autodiscovery: the feeds an HTML page announces in its <head>.

`<link rel="alternate" type="application/rss+xml" href="...">` (also Atom, RDF and
JSON Feed types), resolved against the page's URL and its <base href>.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/rdf+xml": "rdf",
    "application/feed+json": "json",
    "application/json": "json",
    "text/xml": "rss",
    "application/xml": "rss",
}


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base = ""
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "").strip() for k, v in attrs}
        if tag == "base" and values.get("href") and not self.base:
            self.base = values["href"]
        if tag not in ("link", "a"):
            return
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        wanted = "alternate" in rels and kind in FEED_TYPES and values.get("href")
        if wanted and (tag == "link" or kind != "application/json"):
            self.links.append((values["href"], kind))

    handle_startendtag = handle_starttag


def discover_feeds(page: str, *, base_url: str = "") -> list[str]:
    """The feed URLs a page announces, in page order, without repeats (absolute)."""
    parser = _LinkParser()
    try:
        parser.feed(page)
        parser.close()
    except Exception:  # noqa: S110 (a broken page still gives the links read so far)
        pass
    base = urljoin(base_url, parser.base) if parser.base else base_url
    found: list[str] = []
    for href, _kind in parser.links:
        absolute = urljoin(base, href) if base else href
        if absolute.startswith(("http://", "https://")) and absolute not in found:
            found.append(absolute)
    return found
