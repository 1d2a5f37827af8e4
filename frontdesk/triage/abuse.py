"""Abuse and incivility: alt-profanity-check's model (it ships in the wheel).

The package's model is a TF-IDF over words and five calibrated linear SVMs; its own
`predict_prob` goes through scikit-learn for every call, which costs far more than the
arithmetic for one short message. So the model is read once into a word table
(idf weight and the five SVM weights per word) and scored here in plain Python: the
same numbers as the package's `predict_prob` (a test compares them), many times
faster. Staff see a warning from `WARN_AT`; moderation can use the score itself.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import math
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from frontdesk.triage.base import NO_CONTEXT, Context, Finding, quoted

WARN_AT = 0.5


@dataclass(frozen=True)
class _Model:
    words: dict[str, tuple[float, tuple[float, ...]]]  # word -> (idf, weight per SVM)
    intercepts: tuple[float, ...]
    calibration: tuple[tuple[float, float], ...]  # (a, b) per SVM: p = 1/(1+exp(a*f+b))
    stop_words: frozenset[str]
    token: re.Pattern[str]


_lock = threading.Lock()
_model: _Model | None = None
# Where the word table is kept once read (set from settings at start-up: the data
# folder). Reading it back takes ~0.1-0.2 s and never imports scikit-learn; reading the
# package's joblib files takes ~1 s and does.
_cache_dir: Path | None = None
CACHE_FORMAT = 1


def set_cache_dir(path: Path | None) -> None:
    global _cache_dir
    _cache_dir = path


def _package_stamp() -> str:
    """Which alt-profanity-check the table came from: its version and model files."""
    spec = importlib.util.find_spec("profanity_check")
    if spec is None or spec.origin is None:
        return ""
    data = Path(spec.origin).parent / "data"
    files = sorted(data.glob("*.joblib")) if data.is_dir() else []
    parts = [importlib.metadata.version("alt-profanity-check")]
    parts += [f"{f.name}:{f.stat().st_size}:{int(f.stat().st_mtime)}" for f in files]
    return "|".join(parts)


def _cache_file() -> Path | None:
    return _cache_dir / "abuse-words.json" if _cache_dir is not None else None


def _from_cache(stamp: str) -> _Model | None:
    path = _cache_file()
    if path is None or not stamp:
        return None
    try:
        raw = json.loads(path.read_text("utf-8"))
        if raw.get("format") != CACHE_FORMAT or raw.get("stamp") != stamp:
            return None
        return _Model(
            words={
                w: (float(v[0]), tuple(float(x) for x in v[1])) for w, v in raw["words"].items()
            },
            intercepts=tuple(float(x) for x in raw["intercepts"]),
            calibration=tuple((float(a), float(b)) for a, b in raw["calibration"]),
            stop_words=frozenset(str(w) for w in raw["stop_words"]),
            token=re.compile(str(raw["token"])),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, unreadable or from another version: read the package


def _to_cache(model: _Model, stamp: str) -> None:
    path = _cache_file()
    if path is None or not stamp:
        return
    raw = {
        "format": CACHE_FORMAT,
        "stamp": stamp,
        "words": {w: [idf, list(weights)] for w, (idf, weights) in model.words.items()},
        "intercepts": list(model.intercepts),
        "calibration": [list(pair) for pair in model.calibration],
        "stop_words": sorted(model.stop_words),
        "token": model.token.pattern,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(raw), "utf-8")
        partial.replace(path)  # atomic: a reader sees the old file or the new one
    except OSError:
        pass  # a read-only data folder: the package is read again next time


def _from_package() -> _Model:
    from profanity_check import profanity_check as package  # loads the joblib files

    vectorizer = package.vectorizer
    calibrated = package.model.calibrated_classifiers_
    idf = vectorizer.idf_
    coefs = [c.estimator.coef_[0] for c in calibrated]
    words = {
        word: (float(idf[index]), tuple(float(coef[index]) for coef in coefs))
        for word, index in vectorizer.vocabulary_.items()
    }
    return _Model(
        words=words,
        intercepts=tuple(float(c.estimator.intercept_[0]) for c in calibrated),
        calibration=tuple(
            (float(c.calibrators[0].a_), float(c.calibrators[0].b_)) for c in calibrated
        ),
        stop_words=frozenset(vectorizer.get_stop_words() or ()),
        token=re.compile(vectorizer.token_pattern),
    )


def _load() -> _Model:
    global _model
    with _lock:
        if _model is None:
            stamp = _package_stamp()
            model = _from_cache(stamp)
            if model is None:
                model = _from_package()
                _to_cache(model, stamp)
            _model = model
        return _model


def probability(text: str) -> tuple[float, list[str]]:
    """The probability the text is abusive, and its words that weigh most towards it."""
    model = _load()
    counts: dict[str, int] = {}
    for token in model.token.findall(text.lower()):
        if token in model.words and token not in model.stop_words:
            counts[token] = counts.get(token, 0) + 1
    n = len(model.intercepts)
    decisions = list(model.intercepts)
    worst: list[tuple[float, str]] = []
    if counts:
        weighted = {word: count * model.words[word][0] for word, count in counts.items()}
        norm = math.sqrt(sum(v * v for v in weighted.values()))
        for word, value in weighted.items():
            weights = model.words[word][1]
            x = value / norm
            for i in range(n):
                decisions[i] += x * weights[i]
            worst.append((sum(weights) / n, word))
    total = 0.0
    for decision, (a, b) in zip(decisions, model.calibration, strict=True):
        total += 1.0 / (1.0 + math.exp(a * decision + b))
    worst.sort(reverse=True)
    return total / n, [word for weight, word in worst if weight > 0.5]


class AbuseAnalyzer:
    """label "abusive" from `WARN_AT`, else ""; score is the probability."""

    name = "abuse"

    def analyze(self, text: str, context: Context = NO_CONTEXT) -> Finding:
        p, words = probability(text)
        if p >= WARN_AT:
            reason = "abusive language" + (f": {quoted(words, 2)}" if words else "")
            return Finding(label="abusive", score=round(p, 3), reason=reason)
        return Finding(label="", score=round(p, 3), reason="civil")
