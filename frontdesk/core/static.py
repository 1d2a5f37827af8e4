"""`frontdesk setup`'s static-file step, done only when the files changed.

Collecting hashes and compresses every file (seconds of CPU), so `setup` records
what it collected (each source file's path, size and modification time, with the
storage and URL settings) beside the collected files, and skips the step while
every file it would collect now is among those already collected: an unchanged
install, or a second install sharing the folder with fewer apps (the demo app adds
files; its collected folder and manifest serve an install without it). An upgrade
changes files' times or sizes and collects again. A file lock lets installs sharing
one `FRONTDESK_STATIC_DIR` run `setup` together: one collects, the others wait and
then find it current.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command

STAMP = ".frontdesk-collected"


def _settings_key() -> str:
    return json.dumps(
        [
            settings.STORAGES["staticfiles"]["BACKEND"],
            settings.STATIC_URL,
            list(getattr(settings, "WHITENOISE_SKIP_COMPRESS_EXTENSIONS", ())),
        ]
    )


def sources() -> set[str]:
    """Each file collectstatic would collect now, as `path size mtime_ns`."""
    found: set[str] = set()
    seen: set[str] = set()
    for finder in get_finders():
        for path, storage in finder.list([]):
            if path in seen:  # the first finder's file wins, as in collectstatic
                continue
            seen.add(path)
            stat = os.stat(storage.path(path))
            found.add(f"{path} {stat.st_size} {stat.st_mtime_ns}")
    return found


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    with open(root / ".collect.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _recorded(stamp: Path) -> tuple[str, set[str]]:
    try:
        data = json.loads(stamp.read_text())
        return str(data["settings"]), set(data["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return "", set()


def collect(verbosity: int = 0) -> bool:
    """Collect the static files unless every one is already collected, unchanged;
    True when it collected."""
    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root):
        wanted_settings, wanted = _settings_key(), sources()
        stamp = root / STAMP
        have_settings, have = _recorded(stamp)
        manifest = settings.DEBUG or (root / "staticfiles.json").exists()
        if have_settings == wanted_settings and wanted <= have and manifest:
            return False
        stamp.unlink(missing_ok=True)
        call_command("collectstatic", interactive=False, verbosity=verbosity)
        # Exactly this collect's files: the manifest it wrote names these only.
        stamp.write_text(json.dumps({"settings": wanted_settings, "files": sorted(wanted)}))
        return True
