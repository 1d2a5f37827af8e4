"""`frontdesk imap_poll`: read IMAP mailboxes into the inbox now.

The worker already polls every minute (`poll_imap_mailboxes`); this command is for
operators: `--once` reads every working mailbox once and exits (a backfill after an
outage resumes from each mailbox's watermark), without it it keeps polling, and
`--idle` waits for new mail with IMAP IDLE between polls.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from frontdesk.channels.email import imap_idle, imap_poll
from frontdesk.channels.email.imap_models import ImapMailbox


class Command(BaseCommand):
    help = "Read new mail of the IMAP mailboxes into the inbox (by UIDVALIDITY + UID)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Poll each mailbox once, exit.")
        parser.add_argument(
            "--mailbox", type=int, action="append", default=[], help="Only this mailbox id."
        )
        parser.add_argument(
            "--idle", action="store_true", help="Wait for new mail with IMAP IDLE between polls."
        )
        parser.add_argument("--batch", type=int, default=None, help="Messages per FETCH.")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = options["mailbox"] or imap_poll.due_mailboxes(everyone=True)
        unknown = set(options["mailbox"]) - set(
            ImapMailbox.objects.filter(pk__in=options["mailbox"]).values_list("pk", flat=True)
        )
        if unknown:
            raise CommandError(f"No IMAP mailbox with id {', '.join(map(str, sorted(unknown)))}.")
        if options["once"]:
            failed = 0
            for pk in ids:
                report = imap_poll.poll_mailbox(pk, batch=options["batch"])
                failed += bool(report.error)
                self.stdout.write(f"mailbox {pk}: {report.summary()}")
            self.stdout.write(f"{len(ids)} mailboxes polled, {failed} failed")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        if options["idle"]:
            threads = [
                threading.Thread(target=imap_idle.watch, args=(pk, stop), daemon=True) for pk in ids
            ]
            for thread in threads:
                thread.start()
            stop.wait()
            for thread in threads:
                thread.join(timeout=10)
            return
        while not stop.is_set():
            for pk in imap_poll.due_mailboxes():
                self.stdout.write(f"mailbox {pk}: {imap_poll.poll_mailbox(pk).summary()}")
            stop.wait(5)
