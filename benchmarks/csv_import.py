#!/usr/bin/env python
"""CSV contact import at scale: the dry run, the import, and the same file again.

Builds a file of N contacts (name, email, phone, tags, consent, a custom field;
every 50th row invalid), uploads it through `upload_import`, then runs the task's
work (`imports.run`) in this process for the dry run, the import and a re-import,
reporting wall time, rows per second and the process's peak memory. A fresh data
folder (SQLite) or a fresh PostgreSQL database each run.

    .venv/bin/python benchmarks/csv_import.py [--rows 100000] [--engine postgres]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def build_csv(rows: int) -> bytes:
    lines = ["Name;Email;Mobile;Tags;Email consent;Branch"]
    for n in range(rows):
        email = f"patron{n}@bench.example" if n % 50 else f"patron{n}-at-bench"
        phone = f"+1555{n:07d}" if n % 3 else ""
        consent = ("yes", "no", "")[n % 3]
        lines.append(f"Patron {n};{email};{phone};reader,branch{n % 7};{consent};Branch {n % 9}")
    return ("\n".join(lines) + "\n").encode()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="fd-import-bench-"))
    os.environ |= {
        "DJANGO_SETTINGS_MODULE": "frontdesk.settings",
        "FRONTDESK_DATA_DIR": str(data_dir),
        "DEBUG": "false",
    }
    for name in ("REDIS_URL", "FRONTDESK_HUEY_IMMEDIATE"):
        os.environ.pop(name, None)
    if args.engine == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{data_dir / 'frontdesk.sqlite3'}"
    elif not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("--engine postgres needs DATABASE_URL=postgres://… (an empty database)")

    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from frontdesk.core.actions.workspaces import create_workspace
    from frontdesk.core.models import Contact, Membership, User
    from frontdesk.outreach import imports
    from frontdesk.outreach.actions.imports import check_import, start_import, upload_import
    from frontdesk.outreach.models import ImportRun

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench@bench.example", "x" * 16)
    workspace = create_workspace(
        name="Bench", slug="bench", owner=user, owner_display_name="Bench Owner"
    )
    owner = Membership.objects.get(workspace=workspace)
    content = build_csv(args.rows)
    print(f"{args.engine}: {args.rows} rows, {len(content) / 1e6:.1f} MB file")

    def timed(label: str, run_pk: int) -> None:
        start = time.perf_counter()
        imports.run(run_pk)
        took = time.perf_counter() - start
        run = ImportRun.objects.get(pk=run_pk)
        print(
            f"  {label:<10} {took:7.1f} s  {args.rows / took:8.0f} rows/s  "
            f"created {run.created} updated {run.updated} unchanged {run.unchanged} "
            f"invalid {run.invalid}  peak RSS {peak_mb():.0f} MB"
        )

    for label in ("import", "re-import"):
        start = time.perf_counter()
        run = upload_import(
            workspace,
            kind="contacts",
            upload=SimpleUploadedFile("bench.csv", content, "text/csv"),
            by=owner,
        )
        print(f"  upload     {time.perf_counter() - start:7.1f} s (encoding and header)")
        check_import(run, mapping=run.mapping, by=owner)
        timed("dry run", run.pk)
        start_import(ImportRun.objects.get(pk=run.pk), by=owner)
        timed(label, run.pk)
    print(f"  contacts in the database: {Contact.objects.count()}")


if __name__ == "__main__":
    main()
