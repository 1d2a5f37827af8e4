"""The links an outreach message carries to this server, and (when the workspace
tracks opens and clicks) the message rewritten to count them.

`instrument` is the one place a message is changed for tracking: every http(s)
`<a href>` of the HTML part becomes a click link on this server (a token signing
the delivery id and the original address, `tokens.sign_click`), except links to
the recipient's own pages here (unsubscribe, preferences, confirm: they must work
as they are, and recording them would count nothing useful), and a 1×1 image (the
open pixel, `tokens.sign("open", …)`) goes at the end of the body. The HTML is read
with the standard library's tokenizer (`html.parser`, which knows comments, CDATA,
`<script>`/`<style>` text and unquoted or oddly spaced attributes), and only the
`<a …>` start tags it found are replaced, by their offsets: everything else of the
message stays byte for byte as the author wrote it.
"""

from __future__ import annotations

import functools
import html
from html.parser import HTMLParser

from django.conf import settings
from django.urls import reverse

from frontdesk.outreach import tokens


@functools.cache
def _url_pattern(name: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse(name, args=["TOKEN"])


def public_url(name: str, token: str) -> str:
    """The absolute address of one of the recipient's pages (`outreach-public:…`)."""
    # reverse() costs milliseconds here (a large URL table): once per name, not per mail.
    return _url_pattern(name).replace("TOKEN", token)


@functools.cache
def own_pages() -> str:
    """The prefix of every recipient page on this server (…/o/)."""
    pattern = _url_pattern("outreach-public:unsubscribe")
    return pattern[: pattern.index("unsubscribe/TOKEN")]


def click_url(delivery_id: int, target: str) -> str:
    return public_url("outreach-public:click", tokens.sign_click(delivery_id, target))


def open_url(delivery_id: int) -> str:
    return public_url("outreach-public:open", tokens.sign("open", delivery_id))


def trackable(href: str) -> bool:
    """Whether a link is counted: http(s), and not one of the recipient's pages here."""
    lowered = href.lower()
    if not (lowered.startswith("https://") or lowered.startswith("http://")):
        return False
    return not href.startswith(own_pages())


_URL_BREAKS = str.maketrans("", "", "\t\n\r")


class _Anchors(HTMLParser):
    """Collects each `<a>` start tag: (line, column, its source text, its attributes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, int, str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            line, column = self.getpos()
            self.found.append((line, column, self.get_starttag_text() or "", attrs))


def rewrite_links(source: str, delivery_id: int) -> str:
    """`source` with each trackable `<a href>` leading through a click link."""
    if "<a" not in source.lower():
        return source
    parser = _Anchors()
    parser.feed(source)
    parser.close()
    # html.parser counts lines by "\n" only, and columns from just after one.
    line_starts = [0]
    at = source.find("\n")
    while at >= 0:
        line_starts.append(at + 1)
        at = source.find("\n", at + 1)
    out: list[str] = []
    done = 0
    for line, column, text, attrs in parser.found:
        start = line_starts[line - 1] + column
        if not text or source[start : start + len(text)] != text or start < done:
            continue  # not where the tokenizer said: leave this tag alone
        hrefs = [value for name, value in attrs if name == "href"]
        # The first href is the one a browser follows; anything else stays as it was.
        # Browsers drop tabs and line breaks inside a URL (the URL standard): so do we,
        # so the redirect's Location header carries none.
        target = (hrefs[0] or "").strip().translate(_URL_BREAKS) if hrefs else ""
        if not target or not trackable(target):
            continue
        parts = ["<a"]
        replaced = False
        for name, value in attrs:
            if name == "href" and not replaced:
                value, replaced = click_url(delivery_id, target), True
            elif name == "href":
                continue
            parts.append(f" {name}" if value is None else f' {name}="{html.escape(value)}"')
        out.append(source[done:start])
        out.append("".join(parts) + ">")
        done = start + len(text)
    out.append(source[done:])
    return "".join(out)


def pixel(delivery_id: int) -> str:
    return (
        f'<img src="{html.escape(open_url(delivery_id))}" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0;margin:0;padding:0">'
    )


def instrument(message_html: str, delivery_id: int) -> str:
    """The HTML part of a tracked message: click links and the open pixel (before
    `</body>`, or at the end when there is none)."""
    rewritten = rewrite_links(message_html, delivery_id)
    image = pixel(delivery_id)
    at = rewritten.lower().rfind("</body>")
    if at < 0:
        return rewritten + image
    return rewritten[:at] + image + rewritten[at:]
