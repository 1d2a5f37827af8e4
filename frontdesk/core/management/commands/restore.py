"""`frontdesk restore SRC`: verify a backup folder and put its data back in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.core.backup import (
    BackupError,
    RestoreResult,
    restore_backup,
    unknown_migrations,
    verify_backup,
)


class Command(BaseCommand):
    help = (
        "Restore a backup made by `frontdesk backup`: check its manifest, checksums and "
        "database integrity, then put the database and uploaded files into this install's "
        "data folder (or --data-dir). Stop `frontdesk serve` and any workers first. "
        "`--check` only verifies the backup and changes nothing."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path, help="A backup folder (it holds manifest.json).")
        parser.add_argument(
            "--data-dir",
            type=Path,
            help="Restore into this data folder (as FRONTDESK_DATA_DIR lays it out) instead "
            "of this install's configured database and uploads folder.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace data that is already there; the old database and uploads are kept "
            "beside the new ones as *.before-restore-<timestamp>.",
        )
        parser.add_argument(
            "--check", action="store_true", help="Only verify the backup; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        src: Path = options["src"]
        try:
            if options["check"]:
                manifest = verify_backup(src)
                unknown = unknown_migrations(manifest)
                self._report_check(manifest, unknown)
                return
            result = restore_backup(src, data_dir=options["data_dir"], force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self._report_restore(src, result)

    def _describe(self, manifest: dict[str, Any]) -> str:
        return f"made {manifest.get('created_at')} by Frontdesk {manifest.get('frontdesk_version')}"

    def _report_summary(self, summary: dict[str, Any]) -> None:
        workspaces = summary.get("workspaces") or []
        if workspaces:
            self.stdout.write("Workspaces:")
            width = max(len(w["slug"]) for w in workspaces)
            for w in workspaces:
                self.stdout.write(
                    f"  {w['slug']:<{width}}  {w['name']}: {w['staff']} staff, "
                    f"{w['contacts']} contacts"
                )
        counts = summary.get("counts") or {}
        if counts:
            self.stdout.write("Rows: " + ", ".join(f"{n} {label}" for label, n in counts.items()))

    def _report_check(self, manifest: dict[str, Any], unknown: list[str]) -> None:
        files = manifest["files"]
        self.stdout.write(self.style.SUCCESS(f"Backup OK ({self._describe(manifest)})"))
        self.stdout.write(f"  {len(files)} files match their checksums")
        if manifest.get("database"):
            self.stdout.write("  database integrity: ok")
        else:
            self.stdout.write("  uploads only (no database)")
        if unknown:
            self.stdout.write(
                self.style.WARNING(
                    "  made by a newer Frontdesk: upgrade before restoring "
                    f"({', '.join(unknown[:5])})"
                )
            )
        self._report_summary(manifest.get("summary") or {})

    def _report_restore(self, src: Path, result: RestoreResult) -> None:
        self.stdout.write(
            self.style.SUCCESS(f"Restored {src.absolute()} ({self._describe(result.manifest)})")
        )
        if result.database:
            self.stdout.write(f"  database -> {result.database} (integrity ok)")
        if result.media:
            self.stdout.write(f"  uploads  -> {result.media} ({result.media_files} files)")
        if result.secret_key:
            self.stdout.write(f"  secret key -> {result.secret_key}")
            self.stdout.write(
                "    (used only when SECRET_KEY / SECRET_KEY_FILE are not set in the environment)"
            )
        for kept in result.kept:
            self.stdout.write(
                f"  kept the previous {kept.name.split('.before-restore-')[0]} as {kept}"
            )
        self._report_summary(result.summary)
        if result.pending_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup is older than this Frontdesk: run `frontdesk setup` (or "
                    f"`frontdesk migrate`) to apply {result.pending_migrations} newer migrations."
                )
            )
