"""`frontdesk worker`: run background tasks (the Huey consumer).

`frontdesk serve` starts one beside the web server. With the "poll" intake (the
SQLite setup, settings.INBOX_INTAKE) it also runs the IntakePoller thread, which
turns new inbound events into messages. At scale, run several, on
several machines sharing REDIS_URL; give all but one `--no-periodic`, or every
worker would enqueue each periodic job (feed polls, digests) once more. Apps may
ask for threads of their own beside the tasks (`worker_threads` on their AppConfig:
the email app's IMAP IDLE watchers).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string
from huey.contrib.djhuey.management.commands import run_huey


class Command(run_huey.Command):
    help = (
        "Run background tasks (Huey consumer). Options as huey's run_huey; the default "
        "worker count is FRONTDESK_WORKER_THREADS. SIGTERM stops it once the running "
        "tasks finish; SIGINT (Ctrl-C) or a second SIGTERM stops it at once."
    )
    # Django's system checks (models, URLs, templates, settings) run when the web
    # server starts (`frontdesk serve`, `frontdesk check`) and at `frontdesk setup`;
    # here they would import every page's URLs and views first, seconds on a busy
    # machine, while a burst of texts waits for the worker to start.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        # Process managers (systemd, Docker, `frontdesk serve`) stop services with
        # SIGTERM, so that is the graceful signal here, not huey's default SIGINT.
        if options.get("graceful_signal") is None:
            options["graceful_signal"] = "TERM"
        # Redis hands tasks over at once (blocking pop); SQLite is polled, and huey's
        # default back-off reaches 10 s when idle, so the first reply after a quiet
        # spell would wait that long. Polling a local file every second costs nothing.
        if options.get("max_delay") is None and "max_delay" not in settings.HUEY["consumer"]:
            options["max_delay"] = 1.0
        # Our LOGGING already sends huey's records through the root handler in our
        # format; a handler on the "huey" logger keeps run_huey from adding its own
        # (which would print every line twice).
        huey_logger = logging.getLogger("huey")
        if not huey_logger.handlers:
            huey_logger.addHandler(logging.NullHandler())
        workers = options.get("workers") or settings.HUEY["consumer"]["workers"]
        logging.getLogger("frontdesk.worker").info(
            "worker starting",
            extra={"threads": workers, "queue": settings.HUEY["huey_class"].rsplit(".", 1)[-1]},
        )
        # Triage's models are loaded now, before any work is taken: not by the first
        # customer message (frontdesk/triage/pipeline.py).
        from frontdesk.triage.pipeline import warm_up

        warm_up()
        poller = stop = None
        if settings.INBOX_INTAKE == "poll":
            from frontdesk.inbox.intake import IntakePoller

            stop = threading.Event()
            poller = threading.Thread(
                target=IntakePoller().run, args=(stop,), name="intake-poller", daemon=True
            )
            poller.start()
        # Threads apps ask for (the email app's IMAP IDLE watchers), named by dotted
        # path in their AppConfig's `worker_threads`: `function(stop_event)`.
        app_stop = threading.Event()
        app_threads = [
            threading.Thread(
                target=import_string(path), args=(app_stop,), name=path.rsplit(".", 2)[-2]
            )
            for config in apps.get_app_configs()
            for path in getattr(config, "worker_threads", ())
        ]
        for thread in app_threads:
            thread.daemon = True
            thread.start()
        try:
            super().handle(*args, **options)
        finally:
            app_stop.set()
            if poller is not None and stop is not None:
                # The consumer has stopped: let the poller finish the event in hand.
                stop.set()
                poller.join(timeout=30)
            for thread in app_threads:
                thread.join(timeout=15)
