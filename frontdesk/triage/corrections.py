"""Staff corrections, and training a workspace's classifier from them.

The inbox action `inbox.actions.correct_triage` checks who may correct and calls
`record_correction`; `frontdesk triage train` calls `train_workspace`. Training
measures what it gains: accuracy on the workspace's own corrections by 5-fold
cross-validation, against the default analyzer on the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone

from frontdesk.triage.hooks import forget_learned
from frontdesk.triage.models import Correction, CorrectionKind, LearnedClassifier
from frontdesk.triage.pipeline import sentiment_from
from frontdesk.triage.sentiment import evidence
from frontdesk.triage.urgency import UrgencyAnalyzer

FOLDS = 5
MIN_EXAMPLES = 20  # fewer corrections than this: the default analyzer answers


def record_correction(
    *,
    workspace_id: int,
    message_id: int,
    kind: str,
    label: str,
    predicted: str,
    text: str,
    by_id: int | None,
) -> Correction:
    correction, _ = Correction.objects.update_or_create(
        message_id=message_id,
        kind=kind,
        defaults={
            "workspace_id": workspace_id,
            "label": label,
            "predicted": predicted,
            "text": text,
            "by_id": by_id,
            "created_at": timezone.now(),
        },
    )
    return correction


@dataclass(frozen=True)
class Trained:
    workspace_id: int
    examples: int
    accuracy: float | None
    default_accuracy: float | None
    kind: str = CorrectionKind.SENTIMENT


class Trainer(Protocol):
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Any: ...
    def predict(self, texts: Sequence[str]) -> list[str]: ...
    def dumps(self) -> bytes: ...


def _trainer(kind: str) -> Callable[[], Trainer]:
    # scikit-learn is imported only when training or using a learned classifier.
    from frontdesk.triage.learned import LearnedSentiment, LearnedUrgency

    return LearnedUrgency if kind == CorrectionKind.URGENCY else LearnedSentiment


def default_label(kind: str, text: str) -> str:
    """What the default analyzer says, in the correction's own labels."""
    if kind == CorrectionKind.URGENCY:
        return UrgencyAnalyzer().analyze(text).label or "none"
    return sentiment_from(evidence(text)).label


def cross_validated_accuracy(
    texts: list[str], labels: list[str], kind: str = CorrectionKind.SENTIMENT
) -> float | None:
    """Accuracy of the learned trainer on rows it did not see (k folds), or None."""
    make = _trainer(kind)
    if len(texts) < FOLDS * 2:
        return None
    order = list(range(len(texts)))
    random.Random(22).shuffle(order)  # noqa: S311 (reproducible folds, not a secret)
    right = 0
    for fold in range(FOLDS):
        test = [i for n, i in enumerate(order) if n % FOLDS == fold]
        train = [i for n, i in enumerate(order) if n % FOLDS != fold]
        train_labels = [labels[i] for i in train]
        if len(set(train_labels)) < 2:
            return None
        model = make().fit([texts[i] for i in train], train_labels)
        predicted = model.predict([texts[i] for i in test])
        right += sum(p == labels[i] for p, i in zip(predicted, test, strict=True))
    return right / len(texts)


def train_workspace(
    workspace_id: int, *, minimum: int = MIN_EXAMPLES, kind: str = CorrectionKind.SENTIMENT
) -> Trained | None:
    """Train the workspace's classifier of one kind (sentiment or urgency) from its
    corrections of that kind, if it has `minimum` of them in at least two labels;
    None (and nothing changed) otherwise."""
    rows = list(
        Correction.objects.filter(workspace_id=workspace_id, kind=kind).values_list("text", "label")
    )
    texts = [text for text, _ in rows]
    labels = [label for _, label in rows]
    if len(rows) < minimum or len(set(labels)) < 2:
        return None
    accuracy = cross_validated_accuracy(texts, labels, kind)
    default = [default_label(kind, text) for text in texts]
    default_accuracy = sum(p == t for p, t in zip(default, labels, strict=True)) / len(labels)
    model = _trainer(kind)().fit(texts, labels)
    with transaction.atomic():
        LearnedClassifier.objects.update_or_create(
            workspace_id=workspace_id,
            kind=kind,
            defaults={
                "model": model.dumps(),
                "examples": len(rows),
                "accuracy": accuracy,
                "default_accuracy": default_accuracy,
                "trained_at": timezone.now(),
            },
        )
    forget_learned(workspace_id)
    return Trained(workspace_id, len(rows), accuracy, default_accuracy, kind)
