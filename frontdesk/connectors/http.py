"""The one outbound HTTP client every adapter uses.

It sets what every call to a provider needs and nothing provider-specific: timeouts
(a provider that stops answering must not hold a worker thread for minutes), a
User-Agent naming us (`Frontdesk/<version>`, so an operator reading their logs
knows who called), no redirects followed silently, and the base-URL override from
`settings.CONNECTOR_BASE_URLS` (env FRONTDESK_CONNECTOR_BASE_URLS), which is how tests
aim an adapter at a loopback stand-in speaking the provider's wire format.
"""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

from frontdesk import __version__

USER_AGENT = f"Frontdesk/{__version__}"

# Connecting should be quick; reading may wait on a slow provider a little longer.
CONNECT_TIMEOUT_SECONDS = 5.0
DEFAULT_TIMEOUT_SECONDS = 15.0


def base_url_for(provider: str, default: str) -> str:
    """The base URL to call `provider` at: the configured override, else `default`."""
    override = settings.CONNECTOR_BASE_URLS.get(provider)
    return (override or default).rstrip("/")


def served_here(provider: str) -> bool:
    """Whether calls to `provider` reach this Frontdesk itself: its override is under
    PUBLIC_BASE_URL (the demo's Twilio stand-in). A web request must not wait on such
    a call (with one thread a process, it waits on itself until the timeout): the
    caller hands the call to the worker instead."""
    override = str(settings.CONNECTOR_BASE_URLS.get(provider) or "").rstrip("/")
    own = str(getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")
    return bool(override and own) and (override == own or override.startswith(own + "/"))


def client(
    provider: str,
    *,
    base_url: str,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    headers: dict[str, str] | None = None,
    **options: Any,
) -> httpx.Client:
    """An httpx client for one provider; use it as a context manager.

    `base_url` is the provider's real address; a `CONNECTOR_BASE_URLS[provider]`
    override wins. Other keyword arguments (auth, ...) go to httpx.Client.
    """
    return httpx.Client(
        base_url=base_url_for(provider, base_url),
        timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT_SECONDS, timeout)),
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        follow_redirects=False,
        **options,
    )
