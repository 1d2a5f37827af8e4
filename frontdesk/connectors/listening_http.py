"""JSON over the shared client for the search sources, with failures in words.

Every network's answer maps the same way: 401/403 -> permanent (the token is wrong
or the app not approved), 404/410 -> permanent, 429 and 5xx -> temporary with the
wait the network asked for, timeouts and connection errors -> temporary, a body that
is not JSON -> temporary (a proxy's error page).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from frontdesk.connectors.base import ConnectorError


def wait_seconds(value: str) -> float | None:
    """A Retry-After / rate-limit reset value (seconds or an HTTP date) as seconds."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - datetime.now(UTC)).total_seconds())


def _detail(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text[:200].strip()
    if isinstance(payload, dict):
        for key in ("message", "error_description", "error", "detail"):
            if payload.get(key):
                return str(payload[key])[:200]
    return ""


def request_json(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    network: str,
    inspect: Callable[[httpx.Response], None] | None = None,
    **options: Any,
) -> Any:
    """Send one request and return its JSON body, or raise a ConnectorError saying why.
    `inspect` sees the response first (rate-limit headers)."""
    try:
        response = client.request(method, url, **options)
    except httpx.TimeoutException:
        raise ConnectorError(
            f"{network} did not answer in time.", permanent=False, code="timeout"
        ) from None
    except httpx.HTTPError as error:
        raise ConnectorError(
            f"{network} could not be reached ({type(error).__name__}).",
            permanent=False,
            code="network",
        ) from None
    if inspect is not None:
        inspect(response)
    status = response.status_code
    if status >= 400:
        detail = _detail(response)
        said = f": {detail}" if detail else ""
        wait = wait_seconds(response.headers.get("retry-after", "")) or wait_seconds(
            response.headers.get("x-ratelimit-reset", "")
        )
        if status == 429:
            raise ConnectorError(
                f"{network} asked us to slow down (HTTP 429){said}.",
                permanent=False,
                code="429",
                retry_after=wait,
            )
        if status >= 500:
            raise ConnectorError(
                f"{network} failed on its side (HTTP {status}){said}.",
                permanent=False,
                code=str(status),
                retry_after=wait,
            )
        words = {
            400: "refused the search",
            401: "refused our credentials",
            403: "refused access",
            404: "has no such address",
        }.get(status, "refused the request")
        raise ConnectorError(
            f"{network} {words} (HTTP {status}){said}.", permanent=True, code=str(status)
        )
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError):
        raise ConnectorError(
            f"{network} answered something that is not JSON (HTTP {status}).",
            permanent=False,
            code="not_json",
        ) from None


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 timestamp ("2024-05-01T10:00:00.000Z") as an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


def count(value: object) -> int | None:
    """A non-negative count from a payload, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return max(0, int(value))


def reach_of(**counts: object) -> dict[str, int]:
    return {k: c for k, v in counts.items() if (c := count(v)) is not None}
