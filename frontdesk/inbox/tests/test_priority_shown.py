"""The explained priority score on the inbox rows and in the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from frontdesk.api.actions import create_api_token
from frontdesk.inbox.models import Conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def unhappy_and_waiting(make_conversation):
    conversation = make_conversation(last_message_at=timezone.now() - timedelta(hours=3))
    Conversation.objects.filter(pk=conversation.pk).update(
        sentiment_label="negative",
        last_customer_message_at=timezone.now() - timedelta(minutes=10),
    )
    return conversation


def test_a_row_shows_the_score_and_why(cast, client_for, unhappy_and_waiting, make_conversation):
    calm = make_conversation(waiting=False)
    page = client_for(cast["agent"]).get(
        reverse("inbox:list", kwargs={"ws": "riverside"}), {"status": "open"}
    )
    html = page.content.decode()
    assert 'title="Priority 36: negative, waiting 3 h, repeat contact"' in html
    calm_row = html[html.index(f'id="conv-{calm.number}"') :]
    calm_row = calm_row[: calm_row.index("</li>")]
    assert "conv-score" not in calm_row


def test_the_api_gives_the_score_and_reasons(cast, client, unhappy_and_waiting):
    _token, secret = create_api_token(cast["agent"], name="t")
    response = client.get("/api/v1/conversations", HTTP_AUTHORIZATION=f"Bearer {secret}")
    [item] = response.json()["items"]
    assert item["priority_score"] == 36
    assert item["priority_reasons"] == ["negative", "waiting 3 h", "repeat contact"]
