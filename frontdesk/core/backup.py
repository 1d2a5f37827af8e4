"""Backups of a single-machine install: the SQLite database and the uploaded files.

A backup is a folder:

    manifest.json        what is inside, with the SHA-256 and size of every file
    frontdesk.sqlite3    the main database, copied online (see `_copy_database`)
    media/...            uploaded files (staff photos, attachments) as they are on disk
    secret_key           only with --include-secret-key

The task queue (tasks.sqlite3) and the live-update queue (channels.sqlite3) are left
out on purpose: everything in them is derived from rows in the main database and is
rebuilt or re-queued by the periodic sweeps, while replaying a stale queue could
repeat work.

PostgreSQL is backed up with its own tools (POSTGRES_RECIPE); `--media-only` still
copies the uploads.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings

import frontdesk

MANIFEST = "manifest.json"
FORMAT = "frontdesk-backup"
FORMAT_VERSION = 1
DATABASE_FILE = "frontdesk.sqlite3"
MEDIA_DIR = "media"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)

# Tables counted in the manifest and after a restore: (label, app label, model name).
COUNTED_MODELS = [
    ("users", "core", "User"),
    ("workspaces", "core", "Workspace"),
    ("memberships", "core", "Membership"),
    ("contacts", "core", "Contact"),
    ("contact identities", "core", "ContactIdentity"),
    ("api tokens", "api", "ApiToken"),
]

POSTGRES_RECIPE = """\
This install keeps its data in PostgreSQL: back the database up with PostgreSQL's own
tools, and the uploaded files with `frontdesk backup --media-only`:

    pg_dump --format=custom --no-owner --file=frontdesk-$(date +%F).dump "$DATABASE_URL"
    frontdesk backup --media-only frontdesk-media-$(date +%F)

To restore, stop Frontdesk, then into an empty (or replaced) database:

    pg_restore --no-owner --clean --if-exists --single-transaction --exit-on-error \\
        --dbname="$DATABASE_URL" frontdesk-2025-01-31.dump
    frontdesk restore frontdesk-media-2025-01-31
    frontdesk migrate

pg_dump takes a consistent snapshot while Frontdesk keeps running. Use the pg_dump
and pg_restore of the server's major version (or newer)."""


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    database: Path | None = None
    media: Path | None = None
    media_files: int = 0
    secret_key: Path | None = None
    kept: list[Path] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    pending_migrations: int = 0


# --- helpers ----------------------------------------------------------------------------


def database_engine() -> str:
    engine = str(settings.DATABASES["default"]["ENGINE"])
    if engine == "django.db.backends.sqlite3":
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    return engine.rsplit(".", 1)[-1]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def _walk_files(root: Path) -> Iterator[Path]:
    """Every regular file under root (symlinks are not followed), sorted."""
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _has_files(root: Path) -> bool:
    return root.is_dir() and next(_walk_files(root), None) is not None


def _open_readonly(path: Path) -> sqlite3.Connection:
    # immutable=1: read the file as it is, never create -wal/-shm beside a backup.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def _integrity(conn: sqlite3.Connection) -> str:
    """ "ok", or what SQLite found wrong (a file that is no database at all included)."""
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return "; ".join(str(r[0]) for r in rows[:5])


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _db_table(app_label: str, model_name: str) -> str:
    from django.apps import apps

    return apps.get_model(app_label, model_name)._meta.db_table


def summarise_database(conn: sqlite3.Connection) -> dict[str, Any]:
    """Row counts of the core tables and one line per workspace, read with plain SQL."""
    tables = _tables(conn)
    counts = {}
    for label, app_label, model_name in COUNTED_MODELS:
        table = _db_table(app_label, model_name)
        if table in tables:
            counts[label] = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
    workspaces = []
    workspace_t = _db_table("core", "Workspace")
    member_t = _db_table("core", "Membership")
    contact_t = _db_table("core", "Contact")
    if {workspace_t, member_t, contact_t} <= tables:
        query = f"""
            SELECT w.slug, w.name,
                (SELECT count(*) FROM "{member_t}" m WHERE m.workspace_id = w.id AND m.is_active),
                (SELECT count(*) FROM "{contact_t}" c
                  WHERE c.workspace_id = w.id AND c.merged_into_id IS NULL)
            FROM "{workspace_t}" w ORDER BY w.name
        """  # noqa: S608 (table names come from our own models)
        workspaces = [
            {"slug": slug, "name": name, "staff": staff, "contacts": contacts}
            for slug, name, staff, contacts in conn.execute(query)
        ]
    return {"counts": counts, "workspaces": workspaces}


def _applied_migrations(conn: sqlite3.Connection) -> list[list[str]]:
    if "django_migrations" not in _tables(conn):
        return []
    rows = conn.execute("SELECT app, name FROM django_migrations ORDER BY id")
    return [[app, name] for app, name in rows]


# --- backup ------------------------------------------------------------------------------


def _copy_database(source: Path, target: Path) -> dict[str, Any]:
    """Copy the live database into `target` with SQLite's online backup API.

    One backup step copies every page inside a single read transaction, so the copy
    is the database as of one instant. In WAL mode a reader never blocks the writer,
    so `frontdesk serve` keeps writing meanwhile; its commits after that instant are
    simply not in the copy.
    """
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: everything in one step, one snapshot
        # A one-file backup: no -wal beside it to lose when the folder is moved.
        dst.execute("PRAGMA journal_mode=DELETE")
        problem = _integrity(dst)
        if problem != "ok":
            raise BackupError(f"The copied database failed its integrity check: {problem}")
        info = {"migrations": _applied_migrations(dst), **summarise_database(dst)}
    finally:
        dst.close()
        src.close()
    return info


def _copy_media(source: Path, target: Path) -> int:
    copied = 0
    if not source.is_dir():
        return copied
    for path in _walk_files(source):
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(path, destination)
        except FileNotFoundError:
            continue  # deleted while we walked: it is not part of the data any more
        copied += 1
    return copied


def create_backup(
    dest: Path, *, include_secret_key: bool = False, media_only: bool = False
) -> dict[str, Any]:
    """Write a backup folder at `dest` (which must not exist or be empty); return its manifest.

    The folder is assembled beside `dest` and renamed into place at the end, so a
    folder named `dest` with a manifest is always a complete backup.
    """
    dest = Path(dest).absolute()
    if dest.name.endswith((".tar.gz", ".tgz", ".zip")):
        raise BackupError(
            "A backup is written as a folder. Give a folder name (e.g. "
            f"{dest.name.split('.')[0]}), then archive it yourself if you like: "
            f"tar czf {dest.name.split('.')[0]}.tar.gz {dest.name.split('.')[0]}"
        )
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} already exists and is not empty; choose a new folder.")
    media_root = Path(settings.MEDIA_ROOT).absolute()
    if dest == media_root or media_root in dest.parents:
        raise BackupError(f"Put the backup outside the uploads folder ({media_root}).")
    engine = database_engine()
    if engine != "sqlite" and not media_only:
        raise BackupError(
            POSTGRES_RECIPE if engine == "postgresql" else f"Cannot back up {engine}."
        )

    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "frontdesk_version": frontdesk.__version__,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database_engine": engine,
            "database": None,
            "migrations": [],
            "counts": {},
            "workspaces": [],
            "includes_secret_key": include_secret_key,
            "files": {},
        }
        if not media_only:
            source = Path(str(settings.DATABASES["default"]["NAME"]))
            if not source.exists():
                raise BackupError(f"There is no database at {source} (run `frontdesk setup`).")
            info = _copy_database(source, work / DATABASE_FILE)
            manifest |= {"database": DATABASE_FILE, **info}
        _copy_media(media_root, work / MEDIA_DIR)
        if include_secret_key:
            key_path = work / SECRET_KEY_FILE
            key_path.write_text(settings.SECRET_KEY)
            key_path.chmod(0o600)
        for path in _walk_files(work):
            _fsync(path)
            relative = path.relative_to(work).as_posix()
            manifest["files"][relative] = {"sha256": _sha256(path), "bytes": path.stat().st_size}
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        _fsync(work / MANIFEST)
        # Personal data: only the owner may read the backup.
        work.chmod(0o700)
        if dest.exists():
            dest.rmdir()
        work.rename(dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


# --- verify -----------------------------------------------------------------------------


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"The manifest names a file outside the backup: {name!r}.")
    return path


def read_manifest(src: Path) -> dict[str, Any]:
    path = Path(src) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{src} is not a Frontdesk backup: it has no {MANIFEST}.")
    try:
        manifest = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Frontdesk backup manifest.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"This backup has format version {manifest.get('format_version')}; this Frontdesk "
            f"reads version {FORMAT_VERSION}. Restore it with the Frontdesk that made it "
            f"({manifest.get('frontdesk_version', 'unknown')})."
        )
    return manifest


def verify_backup(src: Path) -> dict[str, Any]:
    """Check the manifest, every file's size and SHA-256, and the database's integrity.

    Returns the manifest with `summary` (read from the backup's own database) added.
    Raises BackupError naming what does not match.
    """
    src = Path(src)
    manifest = read_manifest(src)
    problems = []
    files = manifest.get("files") or {}
    if not isinstance(files, dict):
        raise BackupError("The manifest's file list cannot be read.")
    for name, expected in files.items():
        path = src / _safe_relative(name)
        if not isinstance(expected, dict):
            problems.append(f"{name} has no checksum")
        elif not path.is_file():
            problems.append(f"{name} is missing")
        elif path.stat().st_size != expected.get("bytes") or _sha256(path) != expected.get(
            "sha256"
        ):
            problems.append(f"{name} does not match its checksum")
    database = manifest.get("database")
    if database and database not in files:
        problems.append(f"{database} is not listed in the manifest")
    if problems:
        shown = "; ".join(problems[:5]) + (
            f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        )
        raise BackupError(f"This backup is damaged or has been altered: {shown}.")
    summary: dict[str, Any] = {}
    if database:
        conn = _open_readonly(src / database)
        try:
            problem = _integrity(conn)
            if problem != "ok":
                raise BackupError(f"The backup's database failed its integrity check: {problem}")
            summary = summarise_database(conn)
        finally:
            conn.close()
    return {**manifest, "summary": summary}


# Apps this Frontdesk has but installs only in some modes (the demo app, in demo
# mode): their migrations in a backup are not a sign of a newer version.
OPTIONAL_APPS = frozenset({"demo"})


def unknown_migrations(manifest: dict[str, Any]) -> list[str]:
    """Migrations the backup has applied that this Frontdesk does not know (a newer backup)."""
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return [
        f"{app}.{name}"
        for app, name in manifest.get("migrations", [])
        if (app, name) not in known and app not in OPTIONAL_APPS
    ]


def pending_migrations(manifest: dict[str, Any]) -> int:
    from django.db.migrations.loader import MigrationLoader

    applied = {tuple(m) for m in manifest.get("migrations", [])}
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    return sum(1 for key in known if key not in applied)


# --- restore ----------------------------------------------------------------------------


def _move_aside(path: Path, stamp: str) -> Path:
    kept = path.with_name(f"{path.name}.before-restore-{stamp}")
    path.rename(kept)
    return kept


def _checkpoint(path: Path) -> None:
    """Fold an old database's WAL into its main file so the file alone is complete."""
    try:
        conn = sqlite3.connect(path, timeout=5)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except sqlite3.Error:
        pass  # kept as it is, with its -wal renamed beside it


def _copy_checked(source: Path, target: Path, expected_sha256: str) -> None:
    digest = hashlib.sha256()
    with source.open("rb") as reader, target.open("wb") as writer:
        for chunk in iter(lambda: reader.read(1 << 20), b""):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    if digest.hexdigest() != expected_sha256:
        raise BackupError(f"{source} changed while it was being restored; try again.")


def restore_targets(data_dir: Path | None) -> tuple[Path | None, Path, Path]:
    """Where the database, the uploads and the secret key go: (database, media, data dir).

    With `data_dir` everything goes into that folder, laid out as FRONTDESK_DATA_DIR
    expects; without it, into this install's configured places.
    """
    if data_dir is not None:
        data_dir = Path(data_dir).absolute()
        return data_dir / DATABASE_FILE, data_dir / MEDIA_DIR, data_dir
    database = (
        Path(str(settings.DATABASES["default"]["NAME"])) if database_engine() == "sqlite" else None
    )
    return database, Path(settings.MEDIA_ROOT), Path(settings.DATA_DIR)


def restore_backup(
    src: Path, *, data_dir: Path | None = None, force: bool = False
) -> RestoreResult:
    """Verify the backup at `src`, then put its database, uploads (and key) in place.

    Refuses a target that already holds data unless `force`; then the old database
    and uploads are kept beside the new ones as `*.before-restore-<timestamp>`.
    Stop `frontdesk serve` and workers first: they hold the old database open.
    """
    from django.db import connections

    src = Path(src)
    manifest = verify_backup(src)
    unknown = unknown_migrations(manifest)
    if unknown:
        raise BackupError(
            f"This backup was made by a newer Frontdesk ({manifest.get('frontdesk_version')}): "
            f"it has migrations this one does not know ({', '.join(unknown[:5])}). "
            "Upgrade Frontdesk first, then restore."
        )
    db_target, media_target, key_dir = restore_targets(data_dir)
    has_database = bool(manifest.get("database"))
    if has_database and db_target is None:
        raise BackupError(
            "This is a SQLite backup, and this install keeps its data in PostgreSQL. "
            "Pass --data-dir DIR to unpack it into a folder for a SQLite install."
        )
    media_files = {
        name: meta
        for name, meta in manifest["files"].items()
        if _safe_relative(name).parts[0] == MEDIA_DIR
    }

    occupied = []
    if has_database and db_target is not None:
        wal = db_target.with_name(db_target.name + "-wal")
        if (db_target.exists() and db_target.stat().st_size > 0) or wal.exists():
            occupied.append(str(db_target))
    if (media_files or has_database) and _has_files(media_target):
        occupied.append(str(media_target))
    if occupied and not force:
        raise BackupError(
            f"{' and '.join(occupied)} already hold data. Pass --force to replace them; "
            "the current files are then kept beside them as *.before-restore-<timestamp>."
        )

    result = RestoreResult(manifest=manifest)
    stamp = _stamp()
    # Nothing of ours may hold the old file open while it is swapped.
    connections.close_all()

    if has_database and db_target is not None:
        db_target.parent.mkdir(parents=True, exist_ok=True)
        incoming = db_target.with_name(f".{db_target.name}.restoring-{stamp}")
        try:
            _copy_checked(
                src / manifest["database"],
                incoming,
                manifest["files"][manifest["database"]]["sha256"],
            )
            conn = sqlite3.connect(incoming)
            try:
                problem = _integrity(conn)
                if problem == "ok":
                    result.summary = summarise_database(conn)
            finally:
                conn.close()
            if problem != "ok":
                raise BackupError(f"The restored copy failed its integrity check: {problem}")
            if db_target.exists():
                _checkpoint(db_target)
                kept = _move_aside(db_target, stamp)
                result.kept.append(kept)
                for suffix in ("-wal", "-shm"):
                    companion = db_target.with_name(db_target.name + suffix)
                    if companion.exists():
                        # Named so SQLite finds it beside the kept file: <kept>-wal.
                        companion.rename(kept.with_name(kept.name + suffix))
            incoming.rename(db_target)
        finally:
            incoming.unlink(missing_ok=True)
        result.database = db_target

    if media_files or has_database:
        if _has_files(media_target):
            result.kept.append(_move_aside(media_target, stamp))
        media_target.mkdir(parents=True, exist_ok=True)
        for name in media_files:
            relative = _safe_relative(name).relative_to(MEDIA_DIR)
            destination = media_target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / name, destination)
        result.media = media_target
        result.media_files = len(media_files)

    if manifest.get("includes_secret_key") and (src / SECRET_KEY_FILE).is_file():
        key = (src / SECRET_KEY_FILE).read_text().strip()
        key_path = key_dir / SECRET_KEY_FILE
        if not key_path.exists() or key_path.read_text().strip() != key:
            if key_path.exists():
                result.kept.append(_move_aside(key_path, stamp))
            key_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(key)
        result.secret_key = key_path

    result.pending_migrations = pending_migrations(manifest) if has_database else 0
    return result
