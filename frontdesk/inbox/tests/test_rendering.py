"""The inbox's fast drawing gives what the template code it replaced gave.

Icons come from a cached tag instead of includes, list rows and message times are
built in Python instead of with `date` filters and `{% url %}`, and message text
skips urlize when nothing in it could become a link (benchmarks/README.md says
why). Each is checked here against the slow way, on the same input.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.template.defaultfilters import linebreaksbr, urlize
from django.utils import timezone

from frontdesk.inbox.models import Message, MessageKind
from frontdesk.inbox.templatetags.inbox_tags import message_text
from frontdesk.inbox.views.common import ListParams, _rows

TEMPLATES = Path(__file__).resolve().parents[2]


def _names(template: Path) -> list[str]:
    return sorted(set(re.findall(r'name == "([\w-]+)"', template.read_text())))


INBOX_ICONS = _names(TEMPLATES / "inbox" / "templates" / "inbox" / "_icon.html")
SHARED_ICONS = _names(TEMPLATES / "templates" / "icons" / "_icon.html")


def _render(source: str, **context: object) -> str:
    return Template("{% load inbox_tags %}" + source).render(Context(context))


def test_both_icon_sets_are_found_and_do_not_share_a_name():
    assert len(INBOX_ICONS) > 20 and len(SHARED_ICONS) > 20
    # The tag draws every name through inbox/_icon.html, which falls back to the
    # shared set: a name in both would draw differently from an include of icons/.
    assert not set(INBOX_ICONS) & set(SHARED_ICONS)


@pytest.mark.parametrize("name", INBOX_ICONS + SHARED_ICONS)
def test_the_icon_tag_draws_what_including_the_icon_template_drew(name):
    source = "icons/_icon.html" if name in SHARED_ICONS else "inbox/_icon.html"
    for size in ("", "14"):
        with_size = f" size={size!r}" if size else ""
        included = _render(f'{{% include "{source}" with name=name{with_size} %}}', name=name)
        tagged = _render("{% icon name size %}", name=name, size=size)
        assert tagged.strip() == included.strip()
        assert tagged.count("<svg") == 1


def test_an_unknown_icon_name_draws_the_placeholder_circle():
    assert '<circle cx="12" cy="12" r="8"/>' in _render('{% icon "no-such-icon" %}')


@pytest.mark.parametrize(
    "body",
    [
        "Is my hold ready? I'm in at 5.30 tomorrow, thanks.",
        'Dots.everywhere... and (brackets). Also <b>tags</b> & ampersands "quoted"',
        "First line\nsecond line\r\nthird",
        "See www.example.org/hours for the hours",
        "Our page: https://library.example/events?x=1&y=2.",
        "Write to help@riverside.example or call",
        "riverside.org has it",
        "RIVERSIDE.ORG in capitals",
        "a time like 10:30 and a ratio 3:1",
        "",
    ],
)
def test_message_text_is_what_urlize_makes_of_the_body(body):
    message = Message(kind=MessageKind.INCOMING, body=body)
    assert message_text(message) == linebreaksbr(urlize(body, autoescape=True))


@pytest.mark.parametrize("zone", ["UTC", "America/Chicago", "Pacific/Auckland"])
def test_message_time_is_what_the_date_filters_gave(zone):
    moment = datetime(2026, 3, 8, 7, 5, tzinfo=UTC)
    with timezone.override(ZoneInfo(zone)):
        filters = _render(
            '<time class="msg-time" datetime="{{ m|date:\'c\' }}" '
            "title=\"{{ m|date:'l j F Y, H:i' }}\">{{ m|date:'D j M, H:i' }}</time>",
            m=moment,
        )
        assert _render("{% message_time m %}", m=moment) == filters


@pytest.mark.django_db
def test_a_list_row_shows_its_time_as_the_date_filters_did(riverside, make_conversation):
    conversation = make_conversation(last_message_at=datetime(2025, 12, 31, 23, 59, tzinfo=UTC))
    with timezone.override(ZoneInfo("Europe/Berlin")):
        [row] = _rows(riverside, [conversation], ListParams(view="mine"))
        moment = conversation.last_message_at
        assert row.iso == _render("{{ m|date:'c' }}", m=moment) == "2026-01-01T00:59:00+01:00"
        assert row.title == _render("{{ m|date:'D j M Y, H:i' }}", m=moment)
    assert row.url == f"/w/riverside/inbox/{conversation.number}/?view=mine"
    html = str(row.html)
    assert f'id="conv-{conversation.number}"' in html
    assert f'href="/w/riverside/inbox/{conversation.number}/?view=mine"' in html
    assert f'datetime="{row.iso}" title="{row.title}"' in html


def _row_variants(row):
    """The same row in every state the template branches on, with text to escape."""
    from dataclasses import replace

    from django.utils.safestring import mark_safe

    yield row
    yield replace(
        row,
        name='Dana <O\'Neil> & "co"',
        snippet="<b>help</b> & thanks",
        replied_by="Maya",
        unread=True,
        waiting=True,
        reply_failed=True,
        sla="breached",
        priority="urgent",
        unhappy=True,
        status="snoozed",
        status_label="Snoozed",
        tags=("overdue <books>", "renewals"),
        assignee=mark_safe('<span class="avatar">MP</span>'),
    )
    yield replace(row, sla="near", priority="high", team="Youth & Teens", assignee="")
    yield replace(row, sender="Sender ID", name="AMAZON")
    yield replace(row, sla="ok", priority="normal", status="pending", status_label="Pending")


@pytest.mark.django_db
def test_a_list_row_drawn_in_python_is_the_template_byte_for_byte(riverside, make_conversation):
    conversation = make_conversation()
    [row] = _rows(riverside, [conversation], ListParams(view="all"))
    variants = list(_row_variants(row))
    for variant in variants:
        assert str(variant.html) == str(variant.template_html)
    # The variants did reach the branches: escaped text, badges, team, statuses.
    drawn = "".join(str(v.html) for v in variants)
    for needle in [
        "Dana &lt;O&#x27;Neil&gt; &amp; &quot;co&quot;",
        "Reply not delivered",
        "Overdue",
        "Due soon",
        "Urgent",
        'class="team-chip">Youth &amp; Teens',
        "status-pending",
        '<span class="avatar">MP</span>',
        'tag-chip-sm">overdue &lt;books&gt;',
        'sender-badge" title="An automated sender: texts come from it, replies can’t go back">'
        "Sender ID</span>",
    ]:
        assert needle in drawn, needle
