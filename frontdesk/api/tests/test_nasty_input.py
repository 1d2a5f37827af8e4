"""Odd input to the API is a documented 4xx with an `ErrorOut` body, never a 500."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from frontdesk.core.actions.contacts import create_contact
from frontdesk.inbox.actions import start_conversation
from frontdesk.inbox.models import Channel, Conversation

pytestmark = pytest.mark.django_db

HUGE = 9 * 10**24  # past any 64-bit id


def cursor(value: object) -> str:
    raw = value if isinstance(value, str) else json.dumps(value)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.fixture
def api(cast, make_token) -> Client:
    _token, plaintext = make_token(cast["agent"])
    return Client(raise_request_exception=False, headers={"Authorization": f"Bearer {plaintext}"})


@pytest.fixture
def conversation(riverside) -> Conversation:
    contact = create_contact(
        riverside, name="Ana", identities=[("email", "a@example.org")], by=None
    )
    channel = Channel.objects.create(workspace=riverside, kind="webform", name="Contact form")
    return start_conversation(riverside, contact=contact, channel=channel)


def assert_error(response, status: int) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]


@pytest.mark.parametrize(
    "query",
    [
        {"channel": HUGE},
        {"cursor": cursor(f"2025-01-01T00:00:00+00:00|{HUGE}")},
        {"cursor": cursor("0001-01-01T00:00:00+14:00|1")},
        {"order": "attention", "cursor": cursor(f"{HUGE}~2025-01-01T00:00:00+00:00|1")},
    ],
)
def test_out_of_range_conversation_filters_are_422(api, conversation, query):
    assert_error(api.get("/api/v1/conversations", query), 422)


@pytest.mark.parametrize(
    "value", [["9999-12-31T23:59:59+00:00", HUGE], ["0001-01-01T00:00:00+14:00", 1]]
)
def test_out_of_range_cursors_are_422(api, conversation, value):
    assert_error(api.get("/api/v1/contacts", {"cursor": cursor(value)}), 422)
    url = f"/api/v1/conversations/{conversation.number}/messages"
    assert_error(api.get(url, {"cursor": cursor(value)}), 422)


@pytest.mark.parametrize("until", ["9999-12-31T23:59:59-14:00", "2999-01-01T00:00:00Z"])
def test_far_future_snooze_is_422(api, conversation, until):
    url = f"/api/v1/conversations/{conversation.number}"
    response = api.patch(url, {"snoozed_until": until}, content_type="application/json")
    assert_error(response, 422)
    assert "at most 366 days" in response.json()["detail"]


@pytest.mark.parametrize("body", ["{not json", '{"body": "nul \\u0000 here"}'])
def test_unreadable_bodies_are_400(api, conversation, body):
    url = f"/api/v1/conversations/{conversation.number}/replies"
    assert_error(api.post(url, body, content_type="application/json"), 400)
    assert conversation.messages.count() == 0


def test_schema_mismatches_are_422_in_the_documented_shape(api):
    response = api.post("/api/v1/contacts", {"name": 5}, content_type="application/json")
    assert_error(response, 422)
    errors = response.json()["errors"]
    assert errors and all(set(e) == {"loc", "msg"} for e in errors)


def test_every_operation_documents_400_401_and_422(db):
    document = Client().get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "422"):
                response = operation["responses"].get(status)
                assert response, (method, path, status)
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}
