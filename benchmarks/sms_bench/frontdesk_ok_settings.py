"""Frontdesk's own settings with one extra URL, `bench/ok`, answering "ok".

Everything else (middleware, logging, database, cache) is frontdesk.settings as
`frontdesk serve` runs it, so the view shows what the framework around a Frontdesk
view costs before the view does any work.
"""

from frontdesk.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.sms_bench.frontdesk_ok_urls"
