"""Web form fixtures: post the public form as a browser would, tasks run after commit."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

KEY = re.compile(r'name="submission" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings):
    """Counters of this test only: the Redis cache outlives a test (and a run)."""
    settings.RATELIMIT_CACHE_PREFIX = f"rl:test:{uuid.uuid4().hex}:"


@pytest.fixture
def visitor(cast) -> Client:
    """A browser with no session, on a site where the cast works (Riverside, Hillview)."""
    return Client(enforce_csrf_checks=True)


def form_key(response) -> str:
    found = KEY.search(response.content.decode())
    assert found, "the form carries no submission key"
    return found.group(1)


@pytest.fixture
def send_form(visitor, django_capture_on_commit_callbacks):
    """send_form(data, url=..., files=..., client=..., **extra) -> response.

    Loads the form first (for its key, as a browser would), then posts it; work
    scheduled after commit (processing the stored event) runs before returning.
    """

    def send(data: dict, *, url: str = "/f/riverside/", client: Client | None = None, **extra):
        client = client or visitor
        posted = dict(data)
        if "submission" not in posted:
            posted["submission"] = form_key(client.get(url))
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, posted, **extra)

    return send


@pytest.fixture
def ana() -> dict:
    return {
        "name": "Ana López",
        "email": "Ana.Lopez@Example.org",
        "phone": "(201) 555-0123",
        "message": "The printer on the second floor is jammed again.\nIt ate my boarding pass.",
        "consent": "on",
    }


@pytest.fixture
def make_conversation(riverside, cast):
    """An open conversation on Riverside's form channel, assigned through the action."""
    from frontdesk.channels.webform.actions import webform_channel_for
    from frontdesk.core.actions.contacts import resolve_contact
    from frontdesk.inbox.actions import assign_conversation, start_conversation

    count = iter(range(1, 1000))

    def make(*, assignee=None, email: str | None = None):
        address = email or f"reader{next(count)}@example.org"
        contact, _ = resolve_contact(riverside, kind="email", value=address, name="Reader", by=None)
        conversation = start_conversation(
            riverside, contact=contact, channel=webform_channel_for(riverside)
        )
        if assignee is not None:
            assign_conversation(conversation, assignee=assignee, by=cast["owner"])
        return conversation

    return make
