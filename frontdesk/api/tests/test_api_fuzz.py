"""Schemathesis against /api/v1/openapi.json: whatever it sends, the API answers
without a server error, with a status code and a body its own document describes.

Requests go straight into the WSGI application (no sockets), as an admin's token;
examples are bounded so the whole run stays well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from frontdesk.api.actions import create_api_token
from frontdesk.core.actions.contacts import create_contact
from frontdesk.wsgi import application

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


@pytest.fixture
def in_test_transaction():
    """Keep the test's database connection open across the WSGI calls, as Django's
    test client does: the handler's signals would close it (on PostgreSQL, where the
    test's transaction lives on that connection)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(cast, riverside, in_test_transaction) -> str:
    # Something to find, so lookups by id sometimes succeed.
    create_contact(riverside, name="Ana Lopez", identities=[("phone", "+15550100177")], by=None)
    _token, plaintext = create_api_token(cast["admin"], name="fuzz")
    return plaintext


# Fetched once at collection; the OpenAPI document needs no token and no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure here is reproducible
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_api_answers_every_generated_request_as_documented(case, token):
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=CHECKS)
