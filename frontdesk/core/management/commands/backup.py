"""`frontdesk backup DEST`: an online, consistent copy of the data into a new folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Back up this install into a new folder DEST: the SQLite database (copied online, "
        "safe while `frontdesk serve` runs), the uploaded files, and manifest.json with a "
        "checksum of every file. Bring it back with `frontdesk restore DEST`. With "
        "PostgreSQL, back the database up with pg_dump (the command prints how) and use "
        "--media-only for the uploads."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path, help="A new (or empty) folder for the backup.")
        parser.add_argument(
            "--include-secret-key",
            action="store_true",
            help=(
                "Also copy the secret key. Without it the backup holds no secret: after a "
                "restore, people sign in again and unused password-reset and invitation "
                "links stop working, which is usually fine. API tokens keep working either "
                "way (only their hashes are stored). With it, keep the backup as safe as "
                "the server itself."
            ),
        )
        parser.add_argument(
            "--media-only",
            action="store_true",
            help="Copy only the uploaded files (for PostgreSQL installs, beside pg_dump).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dest: Path = options["dest"]
        try:
            manifest = create_backup(
                dest,
                include_secret_key=options["include_secret_key"],
                media_only=options["media_only"],
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        files = manifest["files"]
        uploads = sum(1 for name in files if name.startswith("media/"))
        total = sum(meta["bytes"] for meta in files.values())
        self.stdout.write(self.style.SUCCESS(f"Backed up to {dest.absolute()}"))
        if manifest["database"]:
            counts = ", ".join(f"{n} {label}" for label, n in manifest["counts"].items())
            self.stdout.write(f"  database: {manifest['database']} ({counts})")
        self.stdout.write(f"  uploads:  {uploads} files")
        self.stdout.write(
            "  secret key: "
            + (
                "included — keep this backup as safe as the server"
                if manifest["includes_secret_key"]
                else "not included"
            )
        )
        self.stdout.write(
            f"  {len(files)} files, {total / 1_000_000:.1f} MB, checksums in manifest.json"
        )
