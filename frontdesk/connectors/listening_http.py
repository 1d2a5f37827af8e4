"""HTTP failures in words for every listening source, and JSON over the shared client
for the search sources.

Every source's answer maps the same way (`status_error`, `transport_error`; the feed
poller uses them too, so staff read the same words for a feed and a network):
401/403 -> permanent (the token is wrong or the app not approved), 404/410 ->
permanent, 429 and 5xx -> temporary with the wait the server asked for (Retry-After,
else a rate-limit reset), timeouts and connection errors -> temporary, a body that is
not JSON -> temporary (a proxy's error page).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
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


# What a refusing status means, after the source's name or address.
STATUS_WORDS = {
    400: "refused the request",
    401: "refused our credentials",
    403: "refused access",
    404: "was not found",
    410: "is gone for good",
}


def status_error(
    status: int,
    headers: Mapping[str, str],
    *,
    who: str,
    detail: str = "",
    words: Mapping[int, str] | None = None,
) -> ConnectorError:
    """The ConnectorError for an HTTP error status (400 and up) from `who` (a network's
    name or a feed's address); `detail` is what the server said, `words` replaces the
    shared words for a status where a source needs its own (a search's 400)."""
    said = f": {detail}" if detail else ""
    if status == 429 or status >= 500:
        wait = wait_seconds(headers.get("retry-after", "")) or wait_seconds(
            headers.get("x-ratelimit-reset", "")
        )
        message = (
            f"{who} asked us to slow down (HTTP 429){said}."
            if status == 429
            else f"{who} failed on its side (HTTP {status}){said}; trying again later."
        )
        return ConnectorError(message, permanent=False, code=str(status), retry_after=wait)
    refused = (words or {}).get(status) or STATUS_WORDS.get(status, "refused the request")
    return ConnectorError(
        f"{who} {refused} (HTTP {status}){said}.", permanent=True, code=str(status)
    )


def transport_error(error: httpx.HTTPError, *, who: str) -> ConnectorError:
    """The ConnectorError for a request that got no answer: a timeout, or no connection
    (both temporary)."""
    if isinstance(error, httpx.TimeoutException):
        return ConnectorError(
            f"{who} did not answer in time; trying again later.",
            permanent=False,
            code="timeout",
        )
    return ConnectorError(
        f"{who} could not be reached ({type(error).__name__}).",
        permanent=False,
        code="network",
    )


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
    except httpx.HTTPError as error:
        raise transport_error(error, who=network) from None
    if inspect is not None:
        inspect(response)
    status = response.status_code
    if status >= 400:
        raise status_error(
            status,
            response.headers,
            who=network,
            detail=_detail(response),
            words={400: "refused the search"},
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
