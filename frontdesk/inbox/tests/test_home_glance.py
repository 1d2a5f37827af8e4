"""The home page shows the inbox at a glance: waiting, overdue, assigned to me."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from frontdesk.inbox import queries
from frontdesk.inbox.models import ConversationStatus


def figure(page: str, label: str) -> int:
    found = re.search(rf'stat-label">{label}</div><div class="stat-value">(\d+)</div>', page)
    assert found, f"no {label!r} figure on the page"
    return int(found.group(1))


def test_the_home_page_counts_waiting_overdue_and_mine(
    cast, client_for, riverside, make_conversation
):
    long_ago = timezone.now() - timedelta(days=10)
    make_conversation(last_message_at=long_ago)  # waiting for ten days: overdue
    make_conversation(assignee=cast["agent"])  # waiting five minutes, mine
    make_conversation(waiting=False, assignee=cast["agent"])  # answered, still mine
    make_conversation(status=ConversationStatus.RESOLVED)

    assert queries.at_a_glance(riverside, cast["agent"]) == {
        "waiting": 2,
        "overdue": 1,
        "mine": 2,
    }
    page = client_for(cast["agent"]).get(reverse("core:home", kwargs={"ws": riverside.slug}))
    body = page.content.decode()
    assert figure(body, "Waiting for a reply") == 2
    assert figure(body, "Overdue") == 1
    assert figure(body, "Assigned to you") == 2
    assert reverse("webform:form", kwargs={"slug": riverside.slug}) in body  # the web form


def test_placeholder_sections_say_what_they_will_do(cast, client_for, riverside):
    client = client_for(cast["agent"])
    # Listening, outreach and community have their own pages now.
    for name in ("insights",):
        body = client.get(reverse(name, kwargs={"ws": riverside.slug})).content.decode()
        assert "Not in this version yet" in body
        assert "it will let you" in body
        assert "sparkle" not in body and "spinner" not in body
