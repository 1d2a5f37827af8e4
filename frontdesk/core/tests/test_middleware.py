"""Providers' webhooks skip the browser middleware; everything else keeps it."""

from __future__ import annotations

import logging

import pytest

pytestmark = pytest.mark.django_db


def test_a_webhook_reaches_its_view_past_the_browser_middleware(client, caplog):
    caplog.set_level(logging.INFO, logger="frontdesk.request")
    response = client.post("/hooks/sms/no-such-key/", {"Body": "hi"})
    assert response.status_code == 404
    assert response.content == b"No SMS channel has this address.\n"  # the view's own answer
    # Security headers (above the fast lane) are there; browser middleware did not run.
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Frame-Options" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    assert not response.cookies
    assert [r.getMessage() for r in caplog.records] == ["POST /hooks/sms/no-such-key/ 404"]


def test_an_unknown_webhook_path_is_a_plain_404(client):
    response = client.post("/hooks/nothing-here/")
    assert response.status_code == 404


def test_pages_keep_the_browser_middleware(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "csrftoken" in response.cookies
