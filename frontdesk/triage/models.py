"""What triage learns from staff: their corrections, and the classifier trained on them.

Both are per workspace: one library's corrections never change another's results.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from frontdesk.core.scoping import WorkspaceScoped


class CorrectionKind(models.TextChoices):
    SENTIMENT = "sentiment", "Sentiment"
    URGENCY = "urgency", "Urgency"


SENTIMENT_LABELS = ("negative", "neutral", "positive")
URGENCY_LABELS = ("urgent", "soon", "none")
LABELS = {CorrectionKind.SENTIMENT: SENTIMENT_LABELS, CorrectionKind.URGENCY: URGENCY_LABELS}


class Correction(WorkspaceScoped):
    """A person said what a message's sentiment or urgency really is.

    The text is kept as it was judged (the trainer reads only these rows); one
    correction per message and kind, the latest wins.
    """

    message = models.ForeignKey(
        "inbox.Message", on_delete=models.CASCADE, related_name="triage_corrections"
    )
    kind = models.CharField(max_length=10, choices=CorrectionKind.choices)
    label = models.CharField(max_length=16)
    predicted = models.CharField(max_length=16, blank=True)
    text = models.TextField()
    by = models.ForeignKey(
        "core.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "kind"], name="correction_one_per_kind")
        ]
        indexes = [models.Index(fields=["workspace", "kind", "-id"], name="correction_ws_kind")]

    def __str__(self) -> str:
        return f"{self.kind}={self.label} for message {self.message_id}"


class LearnedClassifier(WorkspaceScoped):
    """The workspace's sentiment classifier, trained by `frontdesk triage train`."""

    kind = models.CharField(max_length=10, choices=CorrectionKind.choices)
    model = models.BinaryField()
    examples = models.PositiveIntegerField()
    # Accuracy on the corrections by cross-validation, against the default analyzer's
    # on the same rows: the improvement the workspace got.
    accuracy = models.FloatField(null=True, blank=True)
    default_accuracy = models.FloatField(null=True, blank=True)
    trained_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "kind"], name="learned_one_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} classifier ({self.examples} corrections)"
