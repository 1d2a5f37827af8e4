"""Odd input to the inbox pages is a 4xx or a form error, never a server error."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from frontdesk.inbox.models import ConversationStatus

pytestmark = pytest.mark.django_db

HUGE = "9" * 25  # past any 64-bit id


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.fixture
def browser(cast):
    client = Client(raise_request_exception=False)
    client.force_login(cast["agent"].user)
    return client


@pytest.mark.parametrize(
    "query",
    [
        f"?channel={HUGE}",
        f"?channel={2**63}",
        "?cursor=" + cursor(f"2025-01-01T00:00:00+00:00|{HUGE}"),
        "?cursor=" + cursor("0001-01-01T00:00:00+14:00|1"),
        "?order=recent&cursor=" + cursor("9999-12-31T23:59:59-14:00|1"),
        "?cursor=" + cursor(f"{HUGE}~2025-01-01T00:00:00+00:00|1"),
    ],
)
def test_out_of_range_filters_and_cursors_are_not_server_errors(browser, make_conversation, query):
    make_conversation()
    response = browser.get(f"/w/riverside/inbox/{query}")
    assert response.status_code < 500


@pytest.mark.parametrize("assignee", ["abc", HUGE, "99999999999999999999", "-1"])
def test_non_numeric_or_huge_assignees_are_refused_without_a_server_error(
    browser, make_conversation, assignee
):
    conversation = make_conversation()
    n = conversation.number
    for url, data in [
        (f"/w/riverside/inbox/{n}/assign/", {"assignee": assignee}),
        (f"/w/riverside/inbox/{n}/assign/", {"team": assignee}),
        ("/w/riverside/inbox/bulk/", {"action": "assign", "numbers": n, "assignee": assignee}),
        ("/w/riverside/inbox/bulk/", {"action": "resolve", "numbers": assignee}),
    ]:
        for headers in ({}, {"HX-Request": "true"}):
            assert browser.post(url, data, headers=headers).status_code < 500, (url, data)
    conversation.refresh_from_db()
    assert conversation.assignee is None


@pytest.mark.parametrize("until", ["9999-12-31T23:59", "2999-01-01T00:00"])
def test_far_future_snooze_is_refused(browser, make_conversation, until):
    conversation = make_conversation()
    response = browser.post(
        f"/w/riverside/inbox/{conversation.number}/snooze/", {"until": until}, follow=True
    )
    assert response.status_code < 500
    assert "at most 366 days" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
