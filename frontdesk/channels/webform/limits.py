"""Rate limits on the public form, per client address and per workspace.

Counted by django-ratelimit's `is_ratelimited` in the shared cache (Redis with
REDIS_URL, else the DatabaseCache every process shares). The library's own app is
not installed, because its system checks misjudge both caches this install uses:
- django.core.cache.backends.redis.RedisCache is not on its list (the list predates
  Django's built-in backend), a warning although INCRBY is atomic;
- DatabaseCache is an error ("does not support atomic increment"): its incr is a
  read then a write, so two submissions from one address in the same instant may
  be counted once. For a spam brake that is acceptable: a sequential flood is
  counted exactly, and the honeypot and the per-workspace limit stand behind it.
`frontdesk.channels.webform.checks` keeps what matters of those checks: the
cache must be one every process shares (not the local-memory or dummy cache).

Rates are "count/period" strings ("5/10m"), per channel in `Channel.settings`
(`rate_per_address`, `rate_per_workspace`), with the defaults below.
"""

from __future__ import annotations

import ipaddress
import re

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from frontdesk.inbox.models import Channel

ADDRESS_RATE = "5/10m"
WORKSPACE_RATE = "300/h"
RATE = re.compile(r"^\d+/\d*[smhd]$")


def _rate(channel: Channel | None, option: str, default: str) -> str:
    options = channel.settings if channel is not None and isinstance(channel.settings, dict) else {}
    value = options.get(option)
    return value if isinstance(value, str) and RATE.match(value) else default


def client_address(request: HttpRequest) -> str:
    """The visitor's address, read through FRONTDESK_PROXY_COUNT trusted proxies.

    IPv6 addresses count per /64, as one household or phone usually holds a whole
    /64 and could otherwise rotate through it.
    """
    candidate = request.META.get("REMOTE_ADDR", "")
    # The same setting django-axes reads for sign-in lockouts (FRONTDESK_PROXY_COUNT).
    proxies = int(getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        # Each trusted proxy appends the address it saw; the client is the one the
        # outermost trusted proxy saw, `proxies` from the right.
        if len(hops) >= proxies:
            candidate = hops[-proxies]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return candidate or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def is_limited(request: HttpRequest, *, workspace_id: int, channel: Channel | None) -> bool:
    """Count one submission; True when the address or the workspace is over its rate.

    The address is checked first, so a flood from one address that is refused
    does not use up the workspace's allowance.
    """
    address = client_address(request)
    if is_ratelimited(
        request,
        group="webform.address",
        key=lambda _group, _request: f"{workspace_id}:{address}",
        rate=_rate(channel, "rate_per_address", ADDRESS_RATE),
        increment=True,
    ):
        return True
    return is_ratelimited(
        request,
        group="webform.workspace",
        key=lambda _group, _request: str(workspace_id),
        rate=_rate(channel, "rate_per_workspace", WORKSPACE_RATE),
        increment=True,
    )
