"""`frontdesk smtpd`: the built-in SMTP receiver (see frontdesk/channels/email/smtpd.py)."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from frontdesk.channels.email.smtpd import make_controller


class Command(BaseCommand):
    help = (
        "Receive mail for the workspaces' email channels over SMTP (MX target). "
        "Accepts only configured addresses; answers 250 once a message is stored."
    )
    # The system checks run with the web server (`frontdesk serve`, `frontdesk check`);
    # here they would import every page first while sending servers wait to connect.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        env = os.environ.get
        parser.add_argument("--host", default=env("FRONTDESK_SMTPD_HOST", "127.0.0.1"))
        # String defaults go through `type` as typed values do: a bad environment value is
        # a usage error naming the option, not a traceback.
        parser.add_argument("--port", type=int, default=env("FRONTDESK_SMTPD_PORT", "2525"))
        parser.add_argument(
            "--max-size",
            type=int,
            default=env("FRONTDESK_SMTPD_MAX_BYTES", "0"),
            help="Largest message in bytes (0: the largest limit of any email channel).",
        )
        parser.add_argument("--tls-cert", default=env("FRONTDESK_SMTPD_TLS_CERT", ""))
        parser.add_argument("--tls-key", default=env("FRONTDESK_SMTPD_TLS_KEY", ""))
        parser.add_argument("--hostname", default=env("FRONTDESK_SMTPD_HOSTNAME", "") or None)
        parser.add_argument(
            "--writers",
            type=int,
            default=env("FRONTDESK_SMTPD_WRITERS", "1"),
            help="Database writer threads, each storing a batch of messages at a time (1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["tls_cert"]) != bool(options["tls_key"]):
            raise CommandError("STARTTLS needs both --tls-cert and --tls-key.")
        if options["writers"] < 1:
            raise CommandError(
                f"--writers (FRONTDESK_SMTPD_WRITERS) must be 1 or more, not {options['writers']}."
            )
        if options["max_size"] < 0:
            raise CommandError("--max-size (FRONTDESK_SMTPD_MAX_BYTES) must be 0 or more.")
        controller = make_controller(
            host=options["host"],
            port=options["port"],
            max_size=options["max_size"],
            certificate=options["tls_cert"],
            key=options["tls_key"],
            hostname=options["hostname"],
            writers=options["writers"],
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        controller.start()
        tls = " with STARTTLS" if options["tls_cert"] else ""
        self.stdout.write(f"frontdesk smtpd listening on {options['host']}:{options['port']}{tls}")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            controller.stop()
