"""An experiment, not a setting to ship as is: Frontdesk's settings with the SQLite
task queue committing without fsync (huey's `fsync=False`, PRAGMA synchronous=OFF).

huey's SqliteStorage leaves SQLite's default synchronous=FULL, so every enqueue waits
for an fsync of tasks.sqlite3, while the main database runs synchronous=NORMAL in WAL
mode (no fsync per commit). The `webhook-nosync` target measures what that costs. With
REDIS_URL set the queue is Redis and this module changes nothing.
"""

from frontdesk.settings import *  # noqa: F403
from frontdesk.settings import HUEY, REDIS_URL

if not REDIS_URL:
    HUEY = {**HUEY, "fsync": False}
