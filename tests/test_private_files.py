"""A fresh install's data folder and SQLite files are readable by its user only."""

from __future__ import annotations

import os
import stat
import subprocess
import sys


def test_setup_creates_a_private_data_folder_and_databases(tmp_path):
    data_dir = tmp_path / "data"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FRONTDESK_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS"))
    }
    env |= {"FRONTDESK_DATA_DIR": str(data_dir)}
    # A umask that would leave new files readable by everyone.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; os.umask(0o022); "
            "from frontdesk.cli import main; import sys; sys.argv=['frontdesk','setup']; main()",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    databases = sorted(data_dir.glob("*.sqlite3*"))  # with their -wal and -shm files
    assert {"channels.sqlite3", "frontdesk.sqlite3"} <= {path.name for path in databases}
    for path in databases:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    assert stat.S_IMODE((data_dir / "secret_key").stat().st_mode) == 0o600
