"""System check: the form's rate limits need a cache every process shares.

Stands in for django-ratelimit's own checks, which are not registered (see
`frontdesk.channels.webform.limits` for why they misjudge this install's caches).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

NOT_SHARED = {
    "django.core.cache.backends.dummy.DummyCache": "stores nothing",
    "django.core.cache.backends.locmem.LocMemCache": "is private to each process",
}


@checks.register(checks.Tags.caches)
def rate_limit_cache_is_shared(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
    if alias not in settings.CACHES:
        return [
            checks.Error(
                f"The web form's rate limits use the cache “{alias}”, which CACHES lacks.",
                id="webform.E001",
            )
        ]
    if backend in NOT_SHARED:
        return [
            checks.Error(
                f"The web form's rate limits need a shared cache, but {backend} "
                f"{NOT_SHARED[backend]}.",
                hint="Leave CACHES as settings.py sets it (the database, or Redis with REDIS_URL).",
                id="webform.E002",
            )
        ]
    return []
