"""`frontdesk setup`'s static-file step, done only when the files changed.

Collecting hashes and compresses every file (seconds of CPU), so `setup` records
a fingerprint of what it collected (each source file's path, size and mtime, the
storage and the URL prefix) beside the collected files and skips the step while
it still matches. A file lock lets installs sharing one `FRONTDESK_STATIC_DIR`
run `setup` together: one collects, the others then find the fingerprint.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command

STAMP = ".frontdesk-collected"


def fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(
        f"{settings.STORAGES['staticfiles']['BACKEND']}\n{settings.STATIC_URL}\n".encode()
    )
    digest.update(repr(getattr(settings, "WHITENOISE_SKIP_COMPRESS_EXTENSIONS", ())).encode())
    found: set[tuple[str, int, int]] = set()
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            found.add((path, stat.st_size, stat.st_mtime_ns))
    for path, size, mtime in sorted(found):
        digest.update(f"{path}\0{size}\0{mtime}\n".encode())
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    with open(root / ".collect.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def collect(verbosity: int = 0) -> bool:
    """Collect the static files unless what is there was collected from the same
    sources; True when it collected."""
    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root):
        wanted = fingerprint()
        stamp = root / STAMP
        current = stamp.read_text() if stamp.exists() else ""
        manifest = settings.DEBUG or (root / "staticfiles.json").exists()
        if current == wanted and manifest:
            return False
        stamp.unlink(missing_ok=True)
        call_command("collectstatic", interactive=False, verbosity=verbosity)
        stamp.write_text(wanted)
        return True
