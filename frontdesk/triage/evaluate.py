"""`frontdesk evaluate triage`: four sentiment systems side by side on a labelled CSV.

- default: the default analyzer (VADER plus customer-service cues), untrained;
- learned: the learning-from-corrections trainer (`learned.py`), trained on the
  held-apart train part as if those rows were staff corrections;
- vader: plain VADER compound score, the standard ±0.05 thresholds;
- tfidf: word 1-2-gram TF-IDF + logistic regression, trained on the same part.

All four are scored on the same test part; throughput is each system's predictions
over that part divided by the wall time (one process, one core).
"""

from __future__ import annotations

import csv
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.pipeline import make_pipeline
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from frontdesk.triage.learned import LearnedSentiment
from frontdesk.triage.pipeline import sentiment_from
from frontdesk.triage.sentiment import evidence

SYSTEMS = ("default", "learned", "vader", "tfidf")


class DatasetError(ValueError):
    """The file cannot be evaluated as asked; the message says why."""


@dataclass(frozen=True)
class Dataset:
    texts: list[str]
    labels: list[str]


def read_dataset(path: Path, *, text_column: str, label_column: str) -> Dataset:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise DatasetError(f"Cannot read {path}: {exc.strerror}") from exc
    with handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        for column in (text_column, label_column):
            if column not in columns:
                raise DatasetError(
                    f"{path} has no column {column!r} (columns: {', '.join(columns) or 'none'})."
                )
        texts, labels = [], []
        for row in reader:
            text, label = (row[text_column] or "").strip(), (row[label_column] or "").strip()
            if text and label:
                texts.append(text)
                labels.append(label.lower())
    if len(texts) < 10:
        raise DatasetError(f"{path} has {len(texts)} labelled rows; at least 10 are needed.")
    if len(set(labels)) < 2:
        raise DatasetError(f"{path} has only one label ({labels[0]!r}).")
    return Dataset(texts, labels)


def split(data: Dataset, train_fraction: float, seed: int = 22) -> tuple[Dataset, Dataset]:
    """Stratified: each label's rows shuffled (fixed seed), its first part to train."""
    if not 0 < train_fraction < 1:
        raise DatasetError("--train-fraction must be between 0 and 1.")
    rng = random.Random(seed)  # noqa: S311 (a reproducible split, not a secret)
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(data.labels):
        by_label.setdefault(label, []).append(index)
    train: list[int] = []
    test: list[int] = []
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        cut = max(1, min(len(indices) - 1, round(len(indices) * train_fraction)))
        train += indices[:cut]
        test += indices[cut:]
    train.sort()
    test.sort()

    def pick(indices: list[int]) -> Dataset:
        return Dataset([data.texts[i] for i in indices], [data.labels[i] for i in indices])

    return pick(train), pick(test)


def scores(truth: Sequence[str], predicted: Sequence[str], seconds: float) -> dict[str, Any]:
    labels = sorted(set(truth) | set(predicted))
    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    present = sorted(set(truth))
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(
            float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0)), 4
        ),
        "per_class": {
            label: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
            }
            for i, label in enumerate(labels)
            if label in present
        },
        "messages_per_second": round(len(truth) / seconds, 1) if seconds > 0 else None,
    }


def _vader() -> Callable[[Sequence[str]], list[str]]:
    analyzer = SentimentIntensityAnalyzer()

    def predict(texts: Sequence[str]) -> list[str]:
        out = []
        for text in texts:
            compound = analyzer.polarity_scores(text)["compound"]
            out.append(
                "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
            )
        return out

    return predict


def _default(texts: Sequence[str]) -> list[str]:
    return [sentiment_from(evidence(text)).label for text in texts]


def evaluate(data: Dataset, *, train_fraction: float = 0.5) -> dict[str, dict[str, Any]]:
    train, test = split(data, train_fraction)
    tfidf = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=2000)
    ).fit(train.texts, train.labels)
    learned = LearnedSentiment().fit(train.texts, train.labels)
    predictors: dict[str, Callable[[Sequence[str]], Sequence[str]]] = {
        "default": _default,
        "learned": learned.predict,
        "vader": _vader(),
        "tfidf": lambda texts: [str(p) for p in tfidf.predict(list(texts))],
    }
    results: dict[str, dict[str, Any]] = {}
    for name in SYSTEMS:
        started = time.perf_counter()
        predicted = list(predictors[name](test.texts))
        results[name] = scores(test.labels, predicted, time.perf_counter() - started)
    results["default"]["train_rows"] = 0
    results["vader"]["train_rows"] = 0
    results["learned"]["train_rows"] = len(train.texts)
    results["tfidf"]["train_rows"] = len(train.texts)
    for result in results.values():
        result["test_rows"] = len(test.texts)
    return results


def table(results: dict[str, dict[str, Any]]) -> str:
    """Plain-text table: one row per system, then each class's precision/recall/F1."""
    classes = sorted({c for r in results.values() for c in r["per_class"]})
    head = f"{'system':<9} {'accuracy':>8} {'macro-F1':>8} " + " ".join(
        f"{c[:12] + ' P/R/F1':>22}" for c in classes
    )
    lines = [head, "-" * len(head) + "-" * 12]
    for name, r in results.items():
        cells = []
        for c in classes:
            s = r["per_class"].get(c)
            cells.append(
                f"{s['precision']:.3f}/{s['recall']:.3f}/{s['f1']:.3f}".rjust(22) if s else " " * 22
            )
        lines.append(
            f"{name:<9} {r['accuracy']:>8.3f} {r['macro_f1']:>8.3f} "
            + " ".join(cells)
            + f"  {r['messages_per_second'] or 0:>9,.0f} msg/s"
        )
    return "\n".join(lines)
