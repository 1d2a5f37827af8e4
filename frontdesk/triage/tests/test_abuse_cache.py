"""The abuse word table, kept in the data folder once read, gives the same numbers
and loads without scikit-learn."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from frontdesk.triage import abuse

SAMPLES = [
    "You are all useless idiots and I hate this stupid library",
    "Thank you so much for holding the book for me!",
    "",
]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(abuse, "_model", None)
    monkeypatch.setattr(abuse, "_cache_dir", tmp_path)
    return tmp_path


def test_the_cached_table_scores_exactly_as_the_package(cache_dir):
    from_package = [abuse.probability(text) for text in SAMPLES]
    assert (cache_dir / "abuse-words.json").exists()
    abuse._model = None
    from_cache = [abuse.probability(text) for text in SAMPLES]
    assert from_cache == from_package
    assert from_cache[0][0] > 0.5 > from_cache[1][0]


def test_a_stale_or_broken_cache_is_read_again_from_the_package(cache_dir):
    abuse.probability("hello")
    path = cache_dir / "abuse-words.json"
    raw = json.loads(path.read_text())
    path.write_text(json.dumps({**raw, "stamp": "alt-profanity-check 0.0"}))
    abuse._model = None
    assert abuse._from_cache(abuse._package_stamp()) is None
    assert abuse.probability(SAMPLES[0])[0] > 0.5
    assert json.loads(path.read_text())["stamp"] == abuse._package_stamp()  # rewritten
    path.write_text("{not json")
    abuse._model = None
    assert abuse.probability(SAMPLES[0])[0] > 0.5


def test_loading_from_the_cache_never_imports_scikit_learn(cache_dir):
    abuse.probability("warm")
    code = (
        "import sys; from pathlib import Path; from frontdesk.triage import abuse; "
        f"abuse.set_cache_dir(Path({str(cache_dir)!r})); "
        "p, _ = abuse.probability('you stupid idiot'); "
        "print(p > 0.5, any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == ["True", "False"]
