from __future__ import annotations

import pytest
from django.test import Client

from frontdesk.api.actions import create_api_token


@pytest.fixture
def make_token(db):
    """make_token(membership, name="script") -> (ApiToken, plaintext)."""

    def make(membership, name: str = "script"):
        return create_api_token(membership, name=name)

    return make


@pytest.fixture
def api_as(make_token):
    """api_as(membership) -> a test client that sends a fresh token of that member."""

    def client(membership) -> Client:
        _token, plaintext = make_token(membership)
        return Client(headers={"Authorization": f"Bearer {plaintext}"})

    return client
