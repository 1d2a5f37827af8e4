"""Template helpers for the inbox pages: message text with mentions, file sizes."""

from __future__ import annotations

import re

from django import template
from django.template.defaultfilters import linebreaksbr, urlize
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from frontdesk.inbox.models import Message, MessageKind

register = template.Library()


@register.simple_tag
def message_text(message: Message) -> SafeString:
    """The body as HTML: escaped, links made clickable (not in notes), line breaks
    kept, and in notes each @mention of a colleague highlighted."""
    if message.kind != MessageKind.NOTE:
        return linebreaksbr(urlize(message.body, autoescape=True))
    html = escape(message.body)
    names = {n for m in message.mentions.all() for n in (m.display_name, m.first_name) if n}
    if names:
        # Longest names first, so "@Maya Patel" is marked whole, not as "@Maya".
        alternatives = "|".join(re.escape(escape(n)) for n in sorted(names, key=len, reverse=True))
        html = re.sub(
            rf"(?<![\w@])@(?:{alternatives})(?!\w)",
            lambda match: f'<span class="mention">{match.group(0)}</span>',
            html,
            flags=re.IGNORECASE,
        )
    return linebreaksbr(mark_safe(html))  # noqa: S308 - escaped above, spans are ours


@register.filter
def own_subject(message: Message) -> str:
    """The subject, unless it is only the start of the body (as a web form makes it)."""
    subject = (message.subject or "").strip()
    core = subject.rstrip("…").rstrip(".").strip()
    if not subject or " ".join(message.body.split()).startswith(" ".join(core.split())):
        return ""
    return subject


@register.filter
def file_size(size: int | None) -> str:
    """1.2 MB, 340 KB, 12 bytes."""
    size = int(size or 0)
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{round(size / 1024)} KB"
    return f"{size} bytes"


@register.simple_tag
def initial(name: str) -> str:
    return (name or "?").strip()[:1].upper() or "?"


@register.simple_tag
def highlighted(parts: list[tuple[str, bool]]) -> SafeString:
    """A search snippet with its matches in <mark>."""
    return mark_safe(  # noqa: S308 - every part goes through format_html
        "".join(
            str(format_html("<mark>{}</mark>", text) if hit else escape(text))
            for text, hit in parts
        )
    )
