"""Posting a reply from a person's own account on a network: what Mastodon and
Bluesky share.

`call` sends one request and returns its JSON, or raises a ConnectorError in words
for the person who pressed Send: their token or password refused (connect the
account again), the post gone, the network's own reason for refusing the text
(Mastodon's 422 "Validation failed: …"), or its rate limit with the wait it gave
(Retry-After, Mastodon's ISO `X-RateLimit-Reset`, Bluesky's epoch `ratelimit-reset`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from frontdesk.connectors.base import ConnectorError
from frontdesk.connectors.listening_http import parse_time, transport_error, wait_seconds


@dataclass(frozen=True)
class Posted:
    """A reply now on the network: its id there and the address people open."""

    id: str
    url: str


def _detail(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text[:200].strip()
    if isinstance(payload, dict):
        for key in ("error_description", "message", "error"):
            if payload.get(key):
                return str(payload[key])[:300]
    return ""


def rate_limit_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until a network lets us post again, from whichever header it sent."""
    wait = wait_seconds(headers.get("retry-after", ""))
    if wait is not None:
        return wait
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        value = (headers.get(name) or "").strip()
        if not value:
            continue
        at = parse_time(value)  # Mastodon: an ISO 8601 time
        if at is not None:
            return max(0.0, at.timestamp() - time.time())
        try:
            number = float(value)
        except ValueError:
            continue
        # Bluesky: a Unix time; others: seconds from now.
        return max(0.0, number - time.time()) if number > 1_000_000_000 else number
    return None


def _in_words(seconds: float | None) -> str:
    if seconds is None:
        return "in a few minutes"
    if seconds < 90:
        return "in about a minute"
    return f"in about {math.ceil(seconds / 60)} minutes"


def call(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    network: str,
    refused: str,
    missing: str = "",
    **options: Any,
) -> Any:
    """One request to `network` as the person; `refused` says what to do when their
    credentials are refused (401/403), `missing` what a 404 means here."""
    try:
        response = client.request(method, url, **options)
    except httpx.HTTPError as error:
        raise transport_error(error, who=network) from None
    status = response.status_code
    if status >= 400:
        detail = _detail(response)
        said = f" ({detail})" if detail else ""
        if status == 429:
            wait = rate_limit_wait(response.headers)
            raise ConnectorError(
                f"{network} says you are posting too fast: try again {_in_words(wait)}. "
                "Your text is still here.",
                permanent=False,
                code="rate_limited",
                retry_after=wait,
            )
        if status in (401, 403):
            raise ConnectorError(
                f"{network} refused your account's credentials{said}: {refused}",
                permanent=True,
                code=str(status),
            )
        if status == 404 and missing:
            raise ConnectorError(missing, permanent=True, code="404")
        if status in (400, 422):
            raise ConnectorError(
                f"{network} did not accept the reply: {detail or 'no reason given'}.",
                permanent=True,
                code=str(status),
            )
        if status >= 500:
            raise ConnectorError(
                f"{network} failed on its side (HTTP {status}); try again in a moment.",
                permanent=False,
                code=str(status),
            )
        raise ConnectorError(
            f"{network} refused the request (HTTP {status}){said}.",
            permanent=True,
            code=str(status),
        )
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError):
        raise ConnectorError(
            f"{network} answered something that is not JSON (HTTP {status}).",
            permanent=False,
            code="not_json",
        ) from None
