"""Every environment variable Frontdesk reads is documented (README or docs/)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READS = re.compile(
    r"""(?:env_(?:str|int|bool|list|secret)\(|environ(?:\.get)?[\[(])\s*["']([A-Z][A-Z0-9_]+)["']"""
)
# Read by the test plugin and the benchmarks only, never by an install.
NOT_SETTINGS = {"DJANGO_SETTINGS_MODULE"}


def _variables() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "frontdesk").rglob("*.py"):
        if "tests" in path.parts:
            continue
        found |= set(READS.findall(path.read_text(encoding="utf-8")))
    return found - NOT_SETTINGS


def test_every_variable_an_install_reads_is_documented():
    documents = (ROOT / "README.md").read_text(encoding="utf-8") + "".join(
        path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md")
    )
    variables = _variables()
    assert len(variables) > 30, "the pattern stopped finding how settings are read"
    assert sorted(v for v in variables if v not in documents) == []
