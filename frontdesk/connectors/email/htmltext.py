"""The HTML of a mail: sanitised with nh3 (the Ammonia sanitiser,
https://nh3.readthedocs.io/) for display in a sandboxed frame, and converted to
readable text when the mail has no text part.

Both are bounded: HTML beyond `MAX_HTML_CHARS` is cut before either step runs (and the
caller records it), so a 20,000-link newsletter costs a bounded, linear amount of work.

The text converter knows where mail clients put quoted history, and marks it:
- containers of quoted text (Gmail ``gmail_quote``, ``blockquote type="cite"`` of
  Apple Mail and Thunderbird, Yahoo ``yahoo_quoted_*``, Proton ``protonmail_quote``,
  Thunderbird ``moz-cite-prefix``) come out as ``> `` lines, like a plain-text quote;
- "history starts here" markers (Outlook ``divRplyFwdMsg`` / ``appendonsend``, Outlook
  for Mac ``OLK_SRC_BODY_SECTION``, Zimbra ``zwchr``, Hotmail ``stopSpelling``) come
  out as a `CUT` line, signature blocks (Gmail ``gmail_signature``, Outlook
  ``Signature``, Thunderbird ``moz-signature``) as a `SIGNATURE` line; the trimmer
  reads them and `strip_markers` removes them from the full text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

MAX_HTML_CHARS = 500_000

# Private-use characters: never in real mail text, so safe as in-band markers.
CUT = "\ue000"
SIGNATURE = "\ue001"

_TAGS = set(nh3.ALLOWED_TAGS) | {"font", "center", "big", "u", "s", "strike"}
_TAGS -= {"title"}
_TABLE_ATTRS = {"width", "height", "align", "valign", "bgcolor", "border", "cellpadding"}
_TABLE_ATTRS |= {"cellspacing", "colspan", "rowspan", "nowrap"}
_ATTRIBUTES: dict[str, set[str]] = {tag: set(v) for tag, v in nh3.ALLOWED_ATTRIBUTES.items()}
_ATTRIBUTES.setdefault("*", set()).update({"style", "dir", "align", "title", "lang"})
for _tag in ("table", "tr", "td", "th", "tbody", "thead", "tfoot", "col", "colgroup"):
    _ATTRIBUTES.setdefault(_tag, set()).update(_TABLE_ATTRS)
_ATTRIBUTES.setdefault("img", set()).update({"src", "alt", "width", "height"})
_ATTRIBUTES.setdefault("a", set()).update({"href", "title", "name"})
_ATTRIBUTES.setdefault("font", set()).update({"color", "face", "size"})
_ATTRIBUTES.setdefault("blockquote", set()).update({"type", "cite"})
# Presentation only: nothing that positions over the page or fetches a URL.
_STYLE_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-style",
    "font-weight", "line-height", "text-align", "text-decoration", "text-indent",
    "text-transform", "letter-spacing", "white-space", "vertical-align", "direction",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left", "padding",
    "padding-top", "padding-right", "padding-bottom", "padding-left", "border",
    "border-top", "border-right", "border-bottom", "border-left", "border-color",
    "border-style", "border-width", "border-collapse", "border-spacing", "border-radius",
    "width", "max-width", "min-width", "height", "max-height", "min-height", "display",
    "list-style", "list-style-type", "table-layout",
}  # fmt: skip
_URL_SCHEMES = set(nh3.ALLOWED_URL_SCHEMES) | {"cid"}


# html5ever (inside nh3) slows down with the square of the nesting depth: 8,000 open
# elements take 0.1 s, 50,000 several seconds. Real mail nests a few dozen deep.
MAX_NESTING = 3000
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
_AUTO_CLOSED = frozenset({"p", "li", "td", "th", "tr", "option", "dt", "dd", "tbody"})


def too_deep(html: str, limit: int = MAX_NESTING) -> bool:
    """Whether `html` opens more than `limit` elements inside one another (a cheap
    tag count, no parsing)."""
    if len(html) < limit * 10:  # too short to nest that deep: "<b>" is 3 characters
        return False
    depth = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        name = name.lower()
        if name in _VOID or name in _AUTO_CLOSED or self_closing:
            continue
        if closing:
            depth = max(depth - 1, 0)
        else:
            depth += 1
            if depth > limit:
                return True
    return False


def sanitise(html: str) -> str:
    """Safe HTML for a sandboxed frame: no script, style sheet, event handler, form or
    frame; ``cid:`` image links kept for the caller to resolve."""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags={"script", "style", "title"},
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        filter_style_properties=_STYLE_PROPERTIES,
        strip_comments=True,
        link_rel="noopener noreferrer",
    )


_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr", "keygen"}
)
_SKIP = frozenset({"script", "style", "title", "template", "xml"})
_BLOCK = frozenset(
    {"address", "article", "aside", "center", "dd", "details", "dialog", "div", "dl"}
    | {"dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "main"}
    | {"nav", "section", "summary", "tbody", "thead", "tfoot", "tr", "caption", "body"}
)
_PARAGRAPH = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "table", "pre"}
)
_CUT_IDS = ("divrplyfwdmsg", "appendonsend", "olk_src_body_section", "zwchr", "stopspelling")
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "protonmail_quote", "moz-cite-prefix")
_SIGNATURE_MARKS = (
    "gmail_signature",
    "moz-signature",
    "applemailsignature",
    "protonmail_signature_block",
)
_WHITESPACE = re.compile(r"[ \t\r\n\f\v\xa0\u2007\u202f]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u034f\u00ad]")

_MARKED_SECTION = re.compile(r"<!\[(?:if\b[^\]>]{0,200}|endif)\]>", re.IGNORECASE)

_NEAR = 32
_MAX_QUOTE_DEPTH = 8

# Stack entry flags.
_QUOTE, _HIDDEN, _PRE = 1, 2, 4


class _Open:
    """An open element the converter tracks: its flags, and how many same-named
    elements opened inside it are still open (only flagged elements are tracked, so
    badly nested mail costs linear time)."""

    __slots__ = ("flags", "inner", "tag")

    def __init__(self, tag: str, flags: int) -> None:
        self.tag = tag
        self.flags = flags
        self.inner = 0


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._cur: list[str] = []
        self._prefix = ""
        self._need = 0  # line breaks owed before the next text
        self._quote = 0
        self._hidden = 0
        self._pre = 0
        self._cut_done = False
        self._stack: list[_Open] = []
        self._lists: list[_Open] = []  # ul/ol, `inner` holding the next number
        self._href: str | None = None
        self._href_mark = 0

    # -- output -------------------------------------------------------------------
    def _end_line(self) -> None:
        if self._cur:
            self.lines.append(self._prefix + "".join(self._cur).rstrip())
            self._cur = []

    def _settle(self) -> None:
        if self._need:
            had_text = bool(self._cur) or bool(self.lines)
            self._end_line()
            if had_text:
                self.lines.extend([""] * (self._need - 1))
            self._need = 0

    def _text(self, text: str) -> None:
        if self._hidden:
            return
        self._settle()
        if not self._cur:
            text = text.lstrip()
            if not text:
                return
            self._prefix = "> " * min(self._quote, _MAX_QUOTE_DEPTH)
        elif text.startswith(" ") and self._cur[-1].endswith(" "):
            text = text[1:]
        self._cur.append(text)

    def _want(self, breaks: int) -> None:
        if breaks > self._need:
            self._need = breaks

    def _marker(self, marker: str) -> None:
        if self._hidden or self._quote:
            return
        self._need = 0
        self._end_line()
        self.lines.append(marker)

    # -- parser callbacks -----------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        flags = 0
        breaks = 2
        if attrs:
            found = {k: (v or "") for k, v in attrs}
            ident = found.get("id", "").lower()
            classes = found.get("class", "").lower()
            style = found.get("style", "")
            if ident or classes:
                if not self._cut_done and any(ident.endswith(m) for m in _CUT_IDS):
                    self._cut_done = True
                    self._marker(CUT)
                elif any(m in classes or m in ident for m in _QUOTE_CLASSES):
                    flags |= _QUOTE
                elif ident in ("signature", "x_signature") or any(
                    m in classes or m in ident for m in _SIGNATURE_MARKS
                ):
                    self._marker(SIGNATURE)
            if found.get("data-smartmail") == "gmail_signature":
                self._marker(SIGNATURE)
            if style and "display:none" in style.replace(" ", "").lower():
                flags |= _HIDDEN
            if tag == "blockquote" and "border:none" not in style.replace(" ", "").lower():
                flags |= _QUOTE
            if tag == "a":
                self._href = found.get("href")
                self._href_mark = len(self.lines) * 1000 + len(self._cur)
            elif tag == "p" and "msonormal" in classes:
                breaks = 1  # Word's paragraphs are lines (margin 0): no blank line each
            elif tag == "img" and not self._hidden:
                alt = found.get("alt", "").strip()
                if alt:
                    self._text(f"[{alt}]")
        elif tag == "blockquote":
            flags |= _QUOTE
        elif tag == "a":
            self._href = None
        if tag in _SKIP:
            flags |= _HIDDEN
        elif tag == "pre":
            flags |= _PRE
        if tag in _VOID:
            if tag == "br" and not self._hidden:
                self._settle()
                if self._cur:
                    self._end_line()
                elif self.lines:
                    self.lines.append("")
            elif tag == "hr":
                self._want(1)
            return
        if tag in _PARAGRAPH:
            self._want(breaks)
        elif tag in _BLOCK:
            self._want(1)
        elif tag == "li":
            self._want(1)
            if self._lists and self._lists[-1].tag == "ol":
                self._lists[-1].inner += 1
                self._text(f"{self._lists[-1].inner}. ")
            else:
                self._text("- ")
        elif tag in ("td", "th") and self._cur and not self._need:
            self._cur.append("  ")
        if tag in ("ul", "ol"):
            self._lists.append(_Open(tag, 0))
        if flags:
            self._open(tag, flags)
        else:
            # Only the nearest flagged elements: hostile nesting stays linear.
            for entry in reversed(self._stack[-_NEAR:]):
                if entry.tag == tag:
                    entry.inner += 1
                    break

    def _open(self, tag: str, flags: int) -> None:
        if flags & _QUOTE:
            self._want(1)
            self._quote += 1
        if flags & _HIDDEN:
            self._hidden += 1
        if flags & _PRE:
            self._pre += 1
        self._stack.append(_Open(tag, flags))

    def _close(self, entry: _Open) -> None:
        flags = entry.flags
        if flags & _QUOTE:
            self._want(1)
            self._settle()
            self._quote -= 1
        if flags & _HIDDEN:
            self._hidden -= 1
        if flags & _PRE:
            self._pre -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":  # the next paragraph's start makes the blank line
            self._want(1)
        elif tag in _PARAGRAPH:
            self._want(2)
        elif tag in _BLOCK or tag == "li":
            self._want(1)
        if tag in ("ul", "ol") and self._lists and self._lists[-1].tag == tag:
            self._lists.pop()
        if tag == "a" and self._href is not None:
            href = self._href
            self._href = None
            mark = len(self.lines) * 1000 + len(self._cur)
            shown = "".join(self._cur).strip()
            if (
                mark != self._href_mark
                and href.startswith(("http://", "https://"))
                and href.rstrip("/") not in shown
                and not self._hidden
            ):
                self._cur.append(f" ({href})")
        for index in range(len(self._stack) - 1, max(len(self._stack) - _NEAR, 0) - 1, -1):
            entry = self._stack[index]
            if entry.tag != tag:
                continue
            if entry.inner:
                entry.inner -= 1
                return
            for closed in reversed(self._stack[index:]):
                self._close(closed)
            del self._stack[index:]
            return

    def handle_data(self, data: str) -> None:
        if self._hidden or not data:
            return
        data = _INVISIBLE.sub("", data)
        if not self._pre and "\xa0" in data and not data.strip():
            # Word's empty paragraph "<p>&nbsp;</p>" is its blank line.
            self._settle()
            if self._cur:
                self._text(" ")
            elif self.lines and self.lines[-1]:
                self.lines.append("")
            return
        if self._pre:
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self._pre_text(first)
            for line in rest:
                self._settle()
                self._end_line_forced()
                self._pre_text(line)
            return
        self._text(_WHITESPACE.sub(" ", data))

    def _pre_text(self, text: str) -> None:
        if not text:
            return
        self._settle()
        if not self._cur:
            self._prefix = "> " * min(self._quote, _MAX_QUOTE_DEPTH)
        self._cur.append(text.replace("\xa0", " "))

    def _end_line_forced(self) -> None:
        if self._cur:
            self._end_line()
        else:
            self.lines.append("")

    def finish(self) -> str:
        self.close()
        self._need = 0
        self._end_line()
        text = "\n".join(line.rstrip() for line in self.lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def html_to_text(html: str) -> str:
    """Readable text of an HTML mail: paragraphs and line breaks kept, links as
    ``text (url)``, lists as ``- item``, quoted history as ``> `` lines, with `CUT`
    and `SIGNATURE` marker lines where clients mark them."""
    converter = _Converter()
    try:
        # Word's "<![if !supportLists]>" sections: html.parser stops at unknown ones.
        converter.feed(_MARKED_SECTION.sub("", html) if "<![" in html else html)
        return converter.finish()
    except Exception:
        converter._need = 0
        converter._end_line()
        return "\n".join(converter.lines).strip("\n")


def strip_markers(text: str) -> str:
    """`text` without the `CUT`/`SIGNATURE` marker lines."""
    if CUT not in text and SIGNATURE not in text:
        return text
    lines = [line for line in text.split("\n") if line not in (CUT, SIGNATURE)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
