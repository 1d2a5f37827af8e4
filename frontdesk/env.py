"""Small typed readers for the environment: settings come from nowhere else.

Every variable read here is listed in the README's configuration table.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean, refusing anything but an unmistakable true/false."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, default: str = "") -> str:
    """Prefer NAME_FILE (a path, as Docker and systemd credentials provide) over NAME."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE points at {path!r}: {exc}") from None
    return os.environ.get(name, default)


def private_data_dir(path: Path) -> Path:
    """Create the data folder readable by this user only (0700) when it does not exist.

    It holds the secret key, the SQLite databases and uploads; an existing folder keeps
    the permissions its administrator gave it.
    """
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)
    return path


_made_private: set[str] = set()


def make_private(path: str | Path) -> None:
    """Take group and other permissions off a file this process works with (an SQLite
    database: it holds every customer's messages), once per path per process."""
    key = str(path)
    if key in _made_private or key in ("", ":memory:") or key.startswith("file:"):
        return
    try:
        mode = os.stat(key).st_mode
        if mode & 0o077:
            os.chmod(key, mode & 0o700)
    except OSError:
        return  # not created yet, or not ours: the next connection tries again
    _made_private.add(key)


def persistent_secret_key(data_dir: Path) -> str:
    """Return the key kept in the data folder, generating it on first use.

    The embedded default must survive restarts (sessions, password-reset links and
    signed tokens depend on it) without asking a librarian to invent one.
    """
    from django.core.management.utils import get_random_secret_key

    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = get_random_secret_key() + get_random_secret_key()
    # O_EXCL: two processes starting at once agree on whichever key was written first.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
