"""What triage learns from staff: their corrections, and the classifier trained on them.

Both are per workspace: one library's corrections never change another's results.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from frontdesk.core.scoping import WorkspaceScoped
from frontdesk.triage.rules import Actions, Conditions, Rule


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


class RoutingRule(WorkspaceScoped):
    """One routing rule of a workspace: conditions on a customer's message, and what
    happens to its conversation when this is the first rule (by `position`) to hit.

    `conditions` and the action fields are read by `to_rule()` into the pure records
    of `frontdesk/triage/rules.py`; the inbox applies them
    (`frontdesk/inbox/actions/routing.py`). `last_assignee` is the round-robin
    cursor: the member this rule handed a conversation to last.
    """

    name = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    conditions = models.JSONField(default=dict, blank=True)
    assign_member = models.ForeignKey(
        "core.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assign_team = models.ForeignKey(
        "inbox.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assign_anyone = models.BooleanField(
        default=False, help_text="Hand it to anyone available who answers customers."
    )
    assign_mode = models.CharField(
        max_length=12,
        choices=[("round_robin", "Round-robin"), ("least_busy", "Least busy")],
        default="round_robin",
    )
    set_priority = models.CharField(max_length=8, blank=True)
    add_tags = models.JSONField(default=list, blank=True)
    saved_reply = models.ForeignKey(
        "inbox.SavedReply", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notify = models.JSONField(default=list, blank=True, help_text="Member ids to notify.")
    last_assignee = models.ForeignKey(
        "core.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "position", "id"], name="routing_rule_order")]
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.name

    def to_rule(self) -> Rule:
        c = self.conditions if isinstance(self.conditions, dict) else {}

        def strings(key: str) -> tuple[str, ...]:
            value = c.get(key) or ()
            return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()

        if self.assign_member_id:
            assign = f"member:{self.assign_member_id}"
        elif self.assign_team_id:
            assign = f"team:{self.assign_team_id}"
        else:
            assign = "anyone" if self.assign_anyone else ""
        notify = self.notify if isinstance(self.notify, list) else []
        tags = self.add_tags if isinstance(self.add_tags, list) else []
        return Rule(
            id=self.pk,
            name=self.name,
            active=self.is_active,
            conditions=Conditions(
                channels=strings("channels"),
                watch=str(c.get("watch") or ""),
                keywords=strings("keywords"),
                tags=strings("tags"),
                languages=strings("languages"),
                sentiments=strings("sentiments"),
                urgencies=strings("urgencies"),
                hours=str(c.get("hours") or ""),
            ),
            actions=Actions(
                assign=assign,
                mode=self.assign_mode,
                priority=self.set_priority,
                tags=tuple(str(t) for t in tags),
                saved_reply_id=self.saved_reply_id,
                notify=tuple(int(n) for n in notify if isinstance(n, int)),
            ),
        )


class Availability(WorkspaceScoped):
    """Whether a staff member takes routed work now (no row: available).

    Rules that assign to a team or to anyone pick only among available members;
    a rule naming one person assigns them only while they are available.
    """

    membership = models.OneToOneField(
        "core.Membership", on_delete=models.CASCADE, related_name="routing_availability"
    )
    is_available = models.BooleanField(default=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "availability"

    def __str__(self) -> str:
        return f"{self.membership_id}: {'available' if self.is_available else 'away'}"


class RoutingDecision(WorkspaceScoped):
    """Which rule routed one customer message, why, and what it did (shown on the
    conversation page; its draft pre-fills the reply box)."""

    message = models.OneToOneField(
        "inbox.Message", on_delete=models.CASCADE, related_name="routing_decision"
    )
    conversation = models.ForeignKey(
        "inbox.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    rule = models.ForeignKey(RoutingRule, on_delete=models.SET_NULL, null=True, related_name="+")
    rule_name = models.CharField(max_length=120)
    why = models.CharField(max_length=500)
    did = models.CharField(max_length=500, blank=True)
    draft = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "conversation", "-id"], name="routing_decision_conv")
        ]

    def __str__(self) -> str:
        return f"{self.rule_name} for message {self.message_id}"
