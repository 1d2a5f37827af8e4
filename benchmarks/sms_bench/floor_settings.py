"""The floor: a minimal Django project with one view that does the webhook's least work.

No apps, no middleware, no logging per request: the view checks the Twilio signature
with the `twilio` package's RequestValidator and inserts one row with a raw INSERT.
The database is Frontdesk's own (the same DATABASES entry, so the same SQLite file
and PRAGMAs, or the same PostgreSQL database); the table is `bench_sms_floor`, which
the benchmark creates.
"""

from __future__ import annotations

import os

from frontdesk import settings as _frontdesk

SECRET_KEY = "sms-bench-floor-not-secret"  # noqa: S105 - a benchmark-only project
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "benchmarks.sms_bench.floor_urls"
DATABASES = {"default": _frontdesk.DATABASES["default"]}
USE_TZ = True
TIME_ZONE = "UTC"
LOGGING_CONFIG = None

PUBLIC_BASE_URL = _frontdesk.PUBLIC_BASE_URL
SMS_BENCH_AUTH_TOKEN = os.environ["SMS_BENCH_AUTH_TOKEN"]
