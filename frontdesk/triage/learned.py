"""Small per-workspace classifiers learned from staff corrections: sentiment and urgency.

Logistic regression on the default analyzer's evidence (VADER scores, complaint,
waiting, remedy and praise cues, its own score) side by side with TF-IDF word 1-2
grams and character 2-5 grams of the text. The default evidence carries a workspace
with few corrections; the n-grams learn its own words ("fines", "hold", a branch's
name) as corrections accumulate. `frontdesk evaluate triage` measures this same
trainer on a held-apart part of a labelled file (the "learned" row).

Urgency (`LearnedUrgency`) works the same way on the urgency analyzer's cues (how
often each group appears, ALL CAPS, "!!!", its score) beside TF-IDF word 1-2 grams:
a workspace whose patrons' "my card expires" is routine, or whose "renewal" is not,
teaches it with a few dozen clicks.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from frontdesk.triage.base import NO_CONTEXT, Context, Finding, quoted
from frontdesk.triage.sentiment import Evidence, clean, evidence
from frontdesk.triage.urgency import signals

EVIDENCE_WEIGHT = 3.0  # the evidence columns against the n-gram columns


class LearnedSentiment:
    def __init__(self) -> None:
        self.words = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, min_df=1, preprocessor=_prepare
        )
        self.chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            sublinear_tf=True,
            min_df=2,
            preprocessor=_prepare,
        )
        self.model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
        self.examples = 0

    def _matrix(self, texts: Sequence[str], found: Sequence[Evidence], *, fit: bool) -> Any:
        dense = csr_matrix(np.array([f.vector() for f in found]) * EVIDENCE_WEIGHT)
        if fit:
            words = self.words.fit_transform(texts)
            chars = self.chars.fit_transform(texts)
        else:
            words = self.words.transform(texts)
            chars = self.chars.transform(texts)
        return hstack([dense, words, chars]).tocsr()

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> LearnedSentiment:
        if len(set(labels)) < 2:
            raise ValueError("Corrections of at least two different labels are needed.")
        found = [evidence(t) for t in texts]
        self.model.fit(self._matrix(texts, found, fit=True), list(labels))
        self.examples = len(texts)
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        found = [evidence(t) for t in texts]
        return [str(p) for p in self.model.predict(self._matrix(texts, found, fit=False))]

    def finding(self, text: str, found: Evidence) -> Finding:
        """One message, reusing the evidence the default pipeline already computed."""
        probabilities = self.model.predict_proba(self._matrix([text], [found], fit=False))[0]
        classes = [str(c) for c in self.model.classes_]
        best = int(np.argmax(probabilities))
        label = classes[best]
        # A score on the default's [-1, 1] scale: P(positive) - P(negative).
        p = dict(zip(classes, probabilities, strict=True))
        score = float(p.get("positive", 0.0) - p.get("negative", 0.0))
        cues = found.negated_polite + found.failure + found.waiting + found.praise
        reason = f"{label} ({probabilities[best]:.0%}, learned from this workspace's corrections)"
        if cues:
            reason += f": {quoted(cues)}"
        return Finding(label=label, score=round(score, 3), reason=reason)

    def dumps(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(data: bytes) -> LearnedSentiment:
        # Only Frontdesk writes these rows (`frontdesk triage train`); never user input.
        model = pickle.loads(data)  # noqa: S301
        if not isinstance(model, LearnedSentiment):
            raise TypeError("not a learned sentiment model")
        return model


URGENCY_POINTS = {"urgent": 1.0, "soon": 0.5, "none": 0.0}


class LearnedUrgency:
    """Urgent / soon / none, as this workspace's staff judged their own messages."""

    def __init__(self) -> None:
        self.words = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, min_df=1, preprocessor=_prepare
        )
        self.model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
        self.examples = 0

    def _matrix(self, texts: Sequence[str], *, fit: bool) -> Any:
        dense = csr_matrix(np.array([signals(t) for t in texts]) * EVIDENCE_WEIGHT)
        words = self.words.fit_transform(texts) if fit else self.words.transform(texts)
        return hstack([dense, words]).tocsr()

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> LearnedUrgency:
        if len(set(labels)) < 2:
            raise ValueError("Corrections of at least two different labels are needed.")
        self.model.fit(self._matrix(texts, fit=True), list(labels))
        self.examples = len(texts)
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(p) for p in self.model.predict(self._matrix(texts, fit=False))]

    def finding(self, text: str, default: Finding, context: Context = NO_CONTEXT) -> Finding:
        """One message. A repeat contact (the customer wrote again while waiting, which
        the text does not show) is never made less than "soon"."""
        probabilities = self.model.predict_proba(self._matrix([text], fit=False))[0]
        classes = [str(c) for c in self.model.classes_]
        best = int(np.argmax(probabilities))
        label = classes[best]
        score = sum(
            URGENCY_POINTS.get(c, 0.0) * p for c, p in zip(classes, probabilities, strict=True)
        )
        said = "not urgent" if label == "none" else label
        reason = f"{said} ({probabilities[best]:.0%}, learned from this workspace's corrections)"
        if context.earlier_unanswered and label == "none":
            label, score = "soon", max(score, 0.5)
            reason = f"soon: repeat contact; {reason}"
        return Finding(
            label="" if label == "none" else label, score=round(float(score), 3), reason=reason
        )

    def dumps(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(data: bytes) -> LearnedUrgency:
        # Only Frontdesk writes these rows (`frontdesk triage train`); never user input.
        model = pickle.loads(data)  # noqa: S301
        if not isinstance(model, LearnedUrgency):
            raise TypeError("not a learned urgency model")
        return model


def _prepare(text: str) -> str:
    return clean(text).lower()
