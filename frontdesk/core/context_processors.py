from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

NAV = [
    # (label, url name, icon id)
    ("Inbox", "inbox:list", "inbox"),
    ("Listening", "listening:index", "ear"),
    ("Outreach", "outreach:index", "send"),
    ("Community", "community:index", "people"),
    ("Insights", "insights", "chart"),
    ("Contacts", "core:contact-list", "contact"),
    ("Settings", "core:settings", "gear"),
]


def frontdesk(request: HttpRequest) -> dict[str, Any]:
    return {
        "workspace": getattr(request, "workspace", None),
        "membership": getattr(request, "membership", None),
        "nav_items": NAV,
        "websocket_url": settings.WEBSOCKET_URL,
        "demo_mode": settings.FRONTDESK_DEMO,
    }
