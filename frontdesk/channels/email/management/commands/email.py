"""`frontdesk email parse PATH [PATH ...] [--json]`: the mail parser on files or
folders, storing nothing (see frontdesk/connectors/email/cli.py, which does the work)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from frontdesk.connectors.email.cli import add_parse_arguments, run


class Command(BaseCommand):
    help = (
        "Email diagnostics. `frontdesk email parse PATH [PATH ...] [--json]` runs the "
        "parser the email channel uses on mail files or folders (recursively) and shows "
        "what it read: sender, subject, the visible reply, attachments, whether it is an "
        "auto-reply, a bounce or list mail, the language. Stores nothing."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        add_parse_arguments(
            commands.add_parser("parse", help="Parse mail files and show what was read.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Written through unchanged: the progress bar redraws its line with "\r".
        self.stdout.ending = ""
        self.stderr.ending = ""
        code = run(options["paths"], options["json"], self.stdout, self.stderr)
        if code:
            raise SystemExit(code)
