"""`frontdesk setup`: install or upgrade this data folder / database. Safe to run again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from frontdesk.core import static
from frontdesk.live.router import CHANNELS_DB


class Command(BaseCommand):
    help = (
        "Install or upgrade: apply database migrations, create the cache table and "
        "collect static files (when they changed). Run it after every upgrade; running "
        "it twice is harmless."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        # Migration progress is worth seeing at -v2; by default one line per step.
        quiet = max(verbosity - 1, 0)

        self.stdout.write("Applying database migrations…")
        call_command("migrate", interactive=False, verbosity=quiet)
        if not settings.REDIS_URL:
            # channels-lite keeps its queue in its own SQLite file; with Redis the
            # channel layer needs no tables.
            self.stdout.write("Preparing the live-update queue…")
            call_command("migrate", database=CHANNELS_DB, interactive=False, verbosity=quiet)
        # Does nothing unless a cache backend is the database (the default install).
        call_command("createcachetable", verbosity=quiet)
        if static.collect(verbosity=quiet):
            self.stdout.write("Collected static files.")
        else:
            self.stdout.write("Static files are up to date.")
        self.stdout.write(self.style.SUCCESS("Frontdesk is set up."))
