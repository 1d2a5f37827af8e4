"""`frontdesk check --deploy` is silent for a production configuration.

Run as a subprocess with the environment an administrator would set, so it reads
the settings module exactly as `frontdesk serve` would.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

# The variables this test controls; anything the test run set for them is dropped.
CONTROLLED = {
    "DEBUG",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "FRONTDESK_HTTPS",
    "FRONTDESK_SSL_REDIRECT",
    "FRONTDESK_HSTS_SECONDS",
    "FRONTDESK_HSTS_PRELOAD",
    "FRONTDESK_BEHIND_PROXY",
    "FRONTDESK_DATA_DIR",
    "FRONTDESK_PUBLIC_URL",
    "FRONTDESK_DEMO",
    "FRONTDESK_DEMO_APP",
}


def check_deploy(data_dir: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    env |= {"FRONTDESK_DATA_DIR": str(data_dir), **environment}
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_configuration_passes_check_deploy_without_warnings(tmp_path):
    result = check_deploy(
        tmp_path,
        FRONTDESK_HTTPS="true",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="desk.example.org",
        FRONTDESK_PUBLIC_URL="https://desk.example.org",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in output
    assert "security." not in output


def test_default_configuration_without_https_gets_the_security_warnings(tmp_path):
    result = check_deploy(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for warning in ["security.W004", "security.W008", "security.W012", "security.W016"]:
        assert warning in output, output


def test_debug_or_a_weak_secret_key_fails_the_production_check(tmp_path):
    production = {
        "FRONTDESK_HTTPS": "true",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "desk.example.org",
    }
    debug = check_deploy(tmp_path, **(production | {"DEBUG": "true"}))
    assert debug.returncode != 0
    assert "security.W018" in debug.stdout + debug.stderr
    weak = check_deploy(tmp_path, **(production | {"SECRET_KEY": "too-short"}))
    assert weak.returncode != 0
    assert "security.W009" in weak.stdout + weak.stderr


PRODUCTION = {
    "FRONTDESK_HTTPS": "true",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "desk.example.org",
    "FRONTDESK_PUBLIC_URL": "https://desk.example.org",
}


def test_demo_mode_is_a_deploy_warning(tmp_path):
    result = check_deploy(
        tmp_path, **PRODUCTION, SECRET_KEY=secrets.token_urlsafe(64), FRONTDESK_DEMO="true"
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "frontdesk.W001" in output and "Demo mode is on" in output
    assert "frontdesk.W002" not in output


def test_a_loopback_public_url_is_a_deploy_warning(tmp_path):
    settings = {**PRODUCTION, "FRONTDESK_PUBLIC_URL": "http://127.0.0.1:8000"}
    result = check_deploy(tmp_path, **settings, SECRET_KEY=secrets.token_urlsafe(64))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "frontdesk.W002" in output and "FRONTDESK_PUBLIC_URL is http://127.0.0.1:8000" in output
    assert "frontdesk.W001" not in output
