"""Template helpers for the inbox pages: icons, message text with mentions, file sizes."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from django import template
from django.conf import settings
from django.template import Context
from django.template.defaultfilters import linebreaksbr, urlize
from django.template.loader import get_template
from django.utils import timezone
from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from frontdesk.core.models import Membership
from frontdesk.inbox import kinds, queries
from frontdesk.inbox.models import Message, MessageKind

register = template.Library()


@lru_cache(maxsize=512)
def _icon_markup(name: str, size: str) -> SafeString:
    # An icon's markup depends on its name and size only: drawn once per process
    # from inbox/_icon.html (which falls back to the shared icons/_icon.html), not
    # included per use; a list page draws ~200 of them. One trailing newline, as an
    # include of either file gives (the fallback would give two).
    context = {"name": name, "size": size} if size else {"name": name}
    svg = get_template("inbox/_icon.html").render(context).rstrip() + "\n"
    return mark_safe(svg)  # noqa: S308 - our own SVG, from our templates


@register.simple_tag
def icon(name: str, size: int | str = "") -> SafeString:
    """`{% icon "chevron" 14 %}`: the same SVG as including inbox/_icon.html with that
    name and size (no size: 18 px for the inbox set, 20 px for the shared set)."""
    if settings.DEBUG:  # templates edited while the server runs show at once
        _icon_markup.cache_clear()
    return _icon_markup(str(name), str(size or ""))


# What Django's urlize needs to see in a word to make a link: a scheme, "www.", an
# email's "@", or a domain in one of the seven original gTLDs (Urlizer.handle_word).
_MAY_LINK = re.compile(r"://|www\.|@|\.(?:com|edu|gov|int|mil|net|org)", re.IGNORECASE)


@register.simple_tag
def message_text(message: Message) -> SafeString:
    """The body as HTML: escaped, links made clickable (not in notes), line breaks
    kept, and in notes each @mention of a colleague highlighted."""
    if message.kind != MessageKind.NOTE:
        if not _MAY_LINK.search(message.body):
            # Nothing urlize could turn into a link: its output would be the escaped
            # text, and urlize costs ~0.1 ms per message finding that out.
            return linebreaksbr(escape(message.body))
        return linebreaksbr(urlize(message.body, autoescape=True))
    html: str = escape(message.body)
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
def channel_note(message: Message) -> str:
    """What the message's channel kind tells staff about it (email: which signal
    threaded it); read once for a whole timeline by `queries.conversation_timeline`."""
    if not hasattr(message, "channel_note"):
        kinds.annotate_messages([message])
    return str(getattr(message, "channel_note", ""))


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


@register.simple_tag
def message_time(moment: datetime | None) -> SafeString:
    """A message's <time>: ISO instant, full date as its title, short date shown; the
    same as three `date` filters, converting to the active time zone once."""
    if moment is None:
        return mark_safe("")
    local = timezone.localtime(moment)
    day, clock = local.day, f"{local.hour:02d}:{local.minute:02d}"
    # The `date` filter's "c", "l j F Y, H:i" and "D j M, H:i", from the same names.
    return format_html(
        '<time class="msg-time" datetime="{}" title="{}">{}</time>',
        local.isoformat(),
        f"{WEEKDAYS[local.weekday()]} {day} {MONTHS[local.month]} {local.year:04d}, {clock}",
        f"{WEEKDAYS_ABBR[local.weekday()]} {day} {str(MONTHS_3[local.month]).title()}, {clock}",
    )


# Avatars drawn so far, by everything core/_avatar.html shows of a member.
_AVATARS: dict[tuple[object, ...], SafeString] = {}


def avatar_markup(member: Membership, *, size: str = "md", alt: bool = False) -> SafeString:
    """core/_avatar.html for `member`, rendered once per colleague, size and look (a
    list page shows the same dozen colleagues on 40 rows)."""
    key = (
        member.pk,
        member.display_name,
        member.avatar_color,
        member.photo.name if member.photo else "",
        str(size),
        bool(alt),
    )
    found = _AVATARS.get(key)
    if found is None:
        if len(_AVATARS) > 4096:
            _AVATARS.clear()
        context = {"member": member, "size": size, "alt": alt}
        # A rendered template is already escaped: SafeString only says so to the types.
        found = _AVATARS[key] = SafeString(get_template("core/_avatar.html").render(context))
    return found


@register.simple_tag
def avatar(member: Membership | None, size: str = "md", alt: bool = False) -> SafeString:
    """`{% avatar member "sm" %}`: the same as including core/_avatar.html with them."""
    if member is None:
        return mark_safe("")
    return avatar_markup(member, size=size, alt=alt)


@register.inclusion_tag("inbox/_glance.html", takes_context=True)
def inbox_glance(context: Context) -> dict[str, Any]:
    """The inbox's figures for the home page: waiting, overdue, assigned to me."""
    workspace, member = context["workspace"], context["membership"]
    return {"workspace": workspace, "counts": queries.at_a_glance(workspace, member)}
