"""`frontdesk check --deploy`: what a real install must not keep from a trial one."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@checks.register(checks.Tags.security, deploy=True)
def check_install_is_not_a_trial(**_kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    if settings.FRONTDESK_DEMO:
        found.append(
            checks.Warning(
                "Demo mode is on (FRONTDESK_DEMO=true): the demo phone and Twilio stand-in "
                "are served and the sign-in page shows the demo password.",
                hint="Unset FRONTDESK_DEMO on a real install.",
                id="frontdesk.W001",
            )
        )
    host = (urlsplit(settings.PUBLIC_BASE_URL).hostname or "").lower()
    if host in LOOPBACK_HOSTS or host.startswith("127."):
        found.append(
            checks.Warning(
                f"FRONTDESK_PUBLIC_URL is {settings.PUBLIC_BASE_URL}, a loopback address: "
                "links in emails, webhook addresses for providers and the QR code on the "
                "poster would lead nowhere, and Twilio's signatures would not verify.",
                hint="Set FRONTDESK_PUBLIC_URL to the address people use, "
                "e.g. https://desk.example.org.",
                id="frontdesk.W002",
            )
        )
    return found
