"""`frontdesk backup` / `frontdesk restore`, run as real processes on real files.

pytest-django's SQLite test database lives in memory, so these tests migrate a
file database in a temporary FRONTDESK_DATA_DIR and drive the commands as
subprocesses, as an administrator would. They need no service, so they run in the
PostgreSQL + Redis configuration too (their subprocesses use SQLite); that run also
checks the refusal PostgreSQL installs get, against its real DATABASE_URL.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

PHOTO = io.BytesIO()
Image.new("RGB", (8, 8), (31, 111, 92)).save(PHOTO, format="PNG")
PHOTO_BYTES = PHOTO.getvalue()

MAKE_DATA = """
import json
from django.core.files.base import ContentFile
from frontdesk.core.actions.contacts import create_contact
from frontdesk.core.actions.workspaces import create_workspace
from frontdesk.core.models import Membership, User

owner = User.objects.create_user("olivia@riverside.example", "x" * 12)
ws = create_workspace(name="Riverside Public Library", slug="riverside", owner=owner,
                      owner_display_name="Olivia Owens")
for name, email in [("Ana López", "ana@example.org"), ("Ben Ode", "ben@example.org"),
                    ("Cy Twombly", "cy@example.org")]:
    create_contact(ws, name=name, identities=[("email", email)], by=None)
member = Membership.objects.get(workspace=ws)
member.photo.save("olivia.png", ContentFile(bytes.fromhex("{photo}")))
print(json.dumps({{"photo": member.photo.name}}))
"""

READ_BACK = """
import hashlib, json
from frontdesk.core.models import Contact, ContactIdentity, Membership, Workspace
ws = Workspace.objects.get(slug="riverside")
member = Membership.objects.get(workspace=ws)
print(json.dumps({
    "workspace": ws.name,
    "contacts": sorted(Contact.objects.for_workspace(ws).values_list("name", flat=True)),
    "emails": sorted(ContactIdentity.objects.for_workspace(ws).values_list("value", flat=True)),
    "photo": member.photo.name,
    "photo_sha256": hashlib.sha256(member.photo.read()).hexdigest(),
}))
"""

WRITER = """
import pathlib, time
from frontdesk.core.models import Contact, Workspace
ws = Workspace.objects.get(slug="riverside")
stop = pathlib.Path({stop!r})
deadline = time.monotonic() + 120
n = 0
while not stop.exists() and time.monotonic() < deadline and n < 500_000:
    Contact.objects.create(workspace=ws, name=f"writer {{n}}")
    n += 1
print(n)
"""


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "FRONTDESK_MEDIA_DIR", "SECRET_KEY"}
        and not k.startswith("SECRET_KEY_")
    }
    env |= {"FRONTDESK_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "frontdesk.settings"}
    return env | extra


def frontdesk(
    *args: str, data_dir: Path, ok: bool = True, **extra: str
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", *args],
        env=_env(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if ok:
        assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def _count(db: Path, where: str = "1") -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(f"SELECT count(*) FROM core_contact WHERE {where}").fetchone()[0]  # noqa: S608
    finally:
        conn.close()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def populated(tmp_path_factory) -> tuple[Path, str]:
    """A migrated data folder holding Riverside, three contacts and a staff photo."""
    template = tmp_path_factory.mktemp("populated")
    frontdesk("migrate", "--verbosity", "0", data_dir=template)
    made = frontdesk("shell", "-c", MAKE_DATA.format(photo=PHOTO_BYTES.hex()), data_dir=template)
    return template, json.loads(made.stdout.strip().splitlines()[-1])["photo"]


@pytest.fixture
def source(populated, tmp_path) -> dict[str, object]:
    """This test's own copy of the populated data folder (no process has it open)."""
    template, photo = populated
    data_dir = tmp_path / "source"
    shutil.copytree(template, data_dir)
    return {"dir": data_dir, "db": data_dir / "frontdesk.sqlite3", "photo": photo}


def test_backup_restores_into_a_fresh_data_folder_with_the_same_data(source, tmp_path):
    backup, fresh = tmp_path / "backup", tmp_path / "fresh"
    frontdesk("backup", str(backup), data_dir=source["dir"])

    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database_engine"] == "sqlite"
    assert manifest["frontdesk_version"]
    assert ["core", "0001_initial"] in manifest["migrations"]
    assert ["api", "0001_initial"] in manifest["migrations"]
    assert manifest["counts"]["contacts"] == 3
    assert manifest["counts"]["workspaces"] == 1
    photo_entry = manifest["files"][f"media/{source['photo']}"]
    assert photo_entry == {"sha256": _sha256(PHOTO_BYTES), "bytes": len(PHOTO_BYTES)}
    db_entry = manifest["files"]["frontdesk.sqlite3"]
    assert db_entry["sha256"] == _sha256((backup / "frontdesk.sqlite3").read_bytes())
    # No secret unless asked for.
    assert manifest["includes_secret_key"] is False
    assert not (backup / "secret_key").exists()
    source_key = (source["dir"] / "secret_key").read_text().strip()
    assert not any(source_key.encode() in p.read_bytes() for p in backup.rglob("*") if p.is_file())

    restored = frontdesk("restore", str(backup), data_dir=fresh)
    assert "riverside  Riverside Public Library: 1 staff, 3 contacts" in restored.stdout
    assert "1 files" in restored.stdout

    conn = sqlite3.connect(fresh / "frontdesk.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = [r[0] for r in conn.execute("SELECT name FROM core_contact ORDER BY name")]
        slugs = [r[0] for r in conn.execute("SELECT slug FROM core_workspace")]
    finally:
        conn.close()
    assert names == ["Ana López", "Ben Ode", "Cy Twombly"]
    assert slugs == ["riverside"]
    assert (fresh / "media" / source["photo"]).read_bytes() == PHOTO_BYTES

    seen = json.loads(frontdesk("shell", "-c", READ_BACK, data_dir=fresh).stdout.splitlines()[-1])
    assert seen == {
        "workspace": "Riverside Public Library",
        "contacts": ["Ana López", "Ben Ode", "Cy Twombly"],
        "emails": ["ana@example.org", "ben@example.org", "cy@example.org"],
        "photo": source["photo"],
        "photo_sha256": _sha256(PHOTO_BYTES),
    }
    # The fresh folder made its own key: sessions from before do not carry over.
    assert (fresh / "secret_key").read_text().strip() != source_key


def test_secret_key_travels_only_with_include_secret_key(source, tmp_path):
    backup, fresh = tmp_path / "backup", tmp_path / "fresh"
    frontdesk("backup", "--include-secret-key", str(backup), data_dir=source["dir"])
    key = (source["dir"] / "secret_key").read_text().strip()
    assert (backup / "secret_key").read_text() == key
    assert (backup / "secret_key").stat().st_mode & 0o077 == 0
    assert json.loads((backup / "manifest.json").read_text())["includes_secret_key"] is True
    frontdesk("restore", str(backup), data_dir=fresh)
    assert (fresh / "secret_key").read_text().strip() == key


@pytest.mark.parametrize("target", ["frontdesk.sqlite3", "photo"])
def test_a_tampered_backup_is_refused_and_nothing_is_restored(source, tmp_path, target):
    backup, fresh = tmp_path / "backup", tmp_path / "fresh"
    frontdesk("backup", str(backup), data_dir=source["dir"])
    path = backup / ("media/" + source["photo"] if target == "photo" else target)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    checked = frontdesk("restore", "--check", str(backup), data_dir=fresh, ok=False)
    assert checked.returncode != 0
    assert "does not match its checksum" in checked.stderr

    refused = frontdesk("restore", str(backup), data_dir=fresh, ok=False)
    assert refused.returncode != 0
    assert "damaged or has been altered" in refused.stderr
    assert not (fresh / "frontdesk.sqlite3").exists()
    assert not (fresh / "media").exists()


def test_a_damaged_database_with_matching_checksums_fails_the_integrity_check(source, tmp_path):
    backup, fresh = tmp_path / "backup", tmp_path / "fresh"
    frontdesk("backup", str(backup), data_dir=source["dir"])
    database = backup / "frontdesk.sqlite3"
    data = bytearray(database.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page, overwritten
    database.write_bytes(bytes(data))
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["files"]["frontdesk.sqlite3"] = {"sha256": _sha256(bytes(data)), "bytes": len(data)}
    (backup / "manifest.json").write_text(json.dumps(manifest))

    refused = frontdesk("restore", str(backup), data_dir=fresh, ok=False)
    assert refused.returncode != 0
    assert "integrity check" in refused.stderr
    assert not (fresh / "frontdesk.sqlite3").exists()


def test_check_verifies_and_changes_nothing(source, tmp_path):
    backup = tmp_path / "backup"
    frontdesk("backup", str(backup), data_dir=source["dir"])
    before = sorted(p.name for p in backup.rglob("*"))
    checked = frontdesk("restore", "--check", str(backup), data_dir=tmp_path / "elsewhere")
    assert "Backup OK" in checked.stdout
    assert "database integrity: ok" in checked.stdout
    assert "Riverside Public Library: 1 staff, 3 contacts" in checked.stdout
    assert sorted(p.name for p in backup.rglob("*")) == before
    assert not (tmp_path / "elsewhere" / "frontdesk.sqlite3").exists()


def test_restore_over_existing_data_needs_force_and_keeps_the_old_database(source, tmp_path):
    backup = tmp_path / "backup"
    frontdesk("backup", str(backup), data_dir=source["dir"])
    # A contact added after the backup exists only in the current database.
    frontdesk(
        "shell",
        "-c",
        "from frontdesk.core.models import Contact, Workspace;"
        "Contact.objects.create(workspace=Workspace.objects.get(), name='After Backup')",
        data_dir=source["dir"],
    )

    refused = frontdesk("restore", str(backup), data_dir=source["dir"], ok=False)
    assert refused.returncode != 0
    assert "--force" in refused.stderr
    assert _count(source["db"]) == 4

    forced = frontdesk("restore", "--force", str(backup), data_dir=source["dir"])
    assert "kept the previous frontdesk.sqlite3 as" in forced.stdout
    assert _count(source["db"]) == 3
    kept = list(source["dir"].glob("frontdesk.sqlite3.before-restore-*"))
    assert len(kept) == 1 and not kept[0].name.endswith(("-wal", "-shm"))
    assert _count(kept[0], "name = 'After Backup'") == 1
    assert list(source["dir"].glob("media.before-restore-*"))
    assert (source["dir"] / "media" / source["photo"]).read_bytes() == PHOTO_BYTES


def test_backup_into_an_existing_folder_with_files_is_refused(source, tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "notes.txt").write_text("mine")
    refused = frontdesk("backup", str(backup), data_dir=source["dir"], ok=False)
    assert refused.returncode != 0
    assert "not empty" in refused.stderr
    assert sorted(p.name for p in backup.iterdir()) == ["notes.txt"]


def test_backup_taken_while_another_process_writes_is_consistent(source, tmp_path):
    backup, stop = tmp_path / "backup", tmp_path / "stop-writing"
    writer = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "shell", "-c", WRITER.format(stop=str(stop))],
        env=_env(source["dir"]),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def wait_for_rows(at_least: int) -> int:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                found = _count(source["db"], "name LIKE 'writer %'")
                if found >= at_least:
                    return found
                assert writer.poll() is None, writer.communicate()
                time.sleep(0.05)
            raise AssertionError(f"the writer did not reach {at_least} rows")

        before = wait_for_rows(20)
        frontdesk("backup", str(backup), data_dir=source["dir"])
        after = _count(source["db"], "name LIKE 'writer %'")
        # The writer is still going after the backup: it wrote before, during and after.
        wait_for_rows(after + 20)
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert int(out.strip().splitlines()[-1]) >= after

    copied = backup / "frontdesk.sqlite3"
    conn = sqlite3.connect(f"{copied.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        in_backup = conn.execute(
            "SELECT count(*) FROM core_contact WHERE name LIKE 'writer %'"
        ).fetchone()[0]
        # A snapshot, not a smear: the rows are exactly writer 0 .. writer n-1.
        highest = conn.execute(
            "SELECT max(CAST(substr(name, 8) AS INTEGER)) FROM core_contact "
            "WHERE name LIKE 'writer %'"
        ).fetchone()[0]
        total = conn.execute("SELECT count(*) FROM core_contact").fetchone()[0]
    finally:
        conn.close()
    print(f"writer rows: before {before}, in backup {in_backup}, after {after}")
    assert before <= in_backup <= after
    assert highest == in_backup - 1
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["counts"]["contacts"] == total == in_backup + 3
    assert frontdesk("restore", "--check", str(backup), data_dir=tmp_path / "x").returncode == 0


def test_postgresql_installs_are_told_to_use_pg_dump_but_can_back_up_uploads(source, tmp_path):
    # On the PostgreSQL run this is the real server's URL; otherwise one that is
    # never connected to (refusing needs no connection).
    database_url = os.environ.get("DATABASE_URL") or "postgres://frontdesk@127.0.0.1:1/frontdesk"
    assert database_url.startswith(("postgres://", "postgresql://"))
    pg = {"DATABASE_URL": database_url}

    refused = frontdesk("backup", str(tmp_path / "db"), data_dir=source["dir"], ok=False, **pg)
    assert refused.returncode != 0
    assert "pg_dump --format=custom" in refused.stderr
    assert "pg_restore" in refused.stderr
    assert "frontdesk backup --media-only" in refused.stderr
    assert not (tmp_path / "db").exists()

    media = tmp_path / "media-backup"
    frontdesk("backup", "--media-only", str(media), data_dir=source["dir"], **pg)
    manifest = json.loads((media / "manifest.json").read_text())
    assert manifest["database"] is None
    assert manifest["database_engine"] == "postgresql"
    assert list(manifest["files"]) == [f"media/{source['photo']}"]
    assert not (media / "frontdesk.sqlite3").exists()

    # A SQLite backup cannot be poured into a PostgreSQL install by mistake.
    full = tmp_path / "full"
    frontdesk("backup", str(full), data_dir=source["dir"])
    wrong = frontdesk("restore", str(full), data_dir=tmp_path / "pg-install", ok=False, **pg)
    assert "keeps its data in PostgreSQL" in wrong.stderr

    # The uploads-only backup restores the uploads.
    target = tmp_path / "pg-install"
    restored = frontdesk("restore", str(media), data_dir=target, **pg)
    assert "(1 files)" in restored.stdout
    assert (target / "media" / source["photo"]).read_bytes() == PHOTO_BYTES
