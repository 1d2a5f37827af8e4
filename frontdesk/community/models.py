"""Community's tables: participants, questions and polls, suggestions, votes,
comments, and the moderation that keeps them civil. Every row belongs to one
workspace (WorkspaceScoped); public pages reach them only through a workspace slug.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from frontdesk.core.models import Contact, Membership
from frontdesk.core.scoping import WorkspaceScoped

DEFAULT_CODE_OF_CONDUCT = """Be kind. Disagree with ideas, never with people.
No insults, slurs, threats or harassment, and nothing hateful about who someone is.
Keep it about the library and its community; no advertising or spam.
Respect privacy: do not post anyone's contact details or photos without their consent.
Staff read every post. Posts that break these rules are held or removed, and repeated
or serious breaches lead to a ban for a period."""


class CommunitySettings(WorkspaceScoped):
    """A workspace's community policy (one row per workspace, made on first use)."""

    code_of_conduct = models.TextField(default=DEFAULT_CODE_OF_CONDUCT)
    posts_per_window = models.PositiveSmallIntegerField(
        default=6, help_text="How many posts (suggestions, comments) one person may make…"
    )
    window_minutes = models.PositiveSmallIntegerField(
        default=10, help_text="…in this many minutes."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="community_settings_one")]


class Participant(WorkspaceScoped):
    """A customer taking part in the community: the face others see, linked to the
    workspace's contact (their email/phone identities live on the contact)."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="community_participants"
    )
    display_name = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "contact"])]
        ordering = ("display_name",)

    def __str__(self) -> str:
        return self.display_name


class SignInCode(WorkspaceScoped):
    """One light sign-in attempt: an emailed magic link or a texted code. Single use:
    `used_at` is set by a conditional update, so a replayed link finds it taken."""

    class Method(models.TextChoices):
        EMAIL = "email", "Magic link by email"
        SMS = "sms", "Code by text message"

    method = models.CharField(max_length=8, choices=Method.choices)
    address = models.CharField(max_length=320, help_text="Normalised email or E.164 phone.")
    display_name = models.CharField(max_length=60, blank=True)
    secret_hash = models.CharField(max_length=96, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["workspace", "address", "-created_at"])]


class QuestionKind(models.TextChoices):
    SUGGESTIONS = "suggestions", "Suggestions"
    POLL = "poll", "Poll"
    BOTH = "both", "Poll and suggestions"


class Question(WorkspaceScoped):
    """A question staff ask the community ("Which album should be on sale for a day?").

    Open until `closes_at` (if set) or until staff close it; `number` is its
    per-workspace number, used in shareable links (/c/<workspace>/q/<number>/).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=QuestionKind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"], name="question_number_unique")
        ]
        indexes = [models.Index(fields=["workspace", "status", "-created_at"])]
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.title

    def is_open(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return self.status == self.Status.OPEN and (
            self.closes_at is None or self.closes_at > moment  # type: ignore[operator]
        )

    @property
    def takes_suggestions(self) -> bool:
        return self.kind in (QuestionKind.SUGGESTIONS, QuestionKind.BOTH)

    @property
    def is_poll(self) -> bool:
        return self.kind in (QuestionKind.POLL, QuestionKind.BOTH)


class Choice(WorkspaceScoped):
    """One fixed answer of a poll."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    label = models.CharField(max_length=160)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return self.label


class Visibility(models.TextChoices):
    """Where a customer's post stands with moderation."""

    PUBLISHED = "published", "Published"
    HELD = "held", "Held for review"
    REJECTED = "rejected", "Rejected"


class Suggestion(WorkspaceScoped):
    """A customer's idea in answer to a question. `merged_into` is set when staff
    folded it into a duplicate; its votes and comments then live on that one."""

    class Status(models.TextChoices):
        UNDER_REVIEW = "under_review", "Under review"
        PLANNED = "planned", "Planned"
        DONE = "done", "Done"
        DECLINED = "declined", "Declined"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="suggestions")
    author = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="suggestions")
    text = models.CharField(max_length=200)
    details = models.TextField(blank=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.UNDER_REVIEW)
    status_reason = models.TextField(blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLISHED
    )
    hold_reason = models.CharField(max_length=300, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "question", "visibility"])]
        ordering = ("created_at",)

    def __str__(self) -> str:
        return self.text


class Vote(WorkspaceScoped):
    """One person's vote for a suggestion. The database allows one per participant
    per suggestion, so two racing requests from one person end with one vote."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "suggestion"], name="vote_one_per_suggestion"
            ),
        ]


class PollVote(WorkspaceScoped):
    """One person's answer to a poll: one per participant per poll (a constraint)."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="poll_votes"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="poll_votes")
    choice = models.ForeignKey(Choice, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "question"], name="vote_one_per_poll"),
        ]


class Comment(WorkspaceScoped):
    """A comment on a suggestion, or a reply to one (`parent`). Written by a
    participant, or by staff (`staff_author`), shown as staff with their name."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    staff_author = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField()
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLISHED
    )
    hold_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "suggestion", "created_at"])]
        ordering = ("created_at",)

    @property
    def author_name(self) -> str:
        if self.staff_author_id:
            return self.staff_author.display_name if self.staff_author else "Staff"
        return self.author.display_name if self.author else ""


class Report(WorkspaceScoped):
    """A customer's "flag this" on one published item: a suggestion, a comment, a fan
    question, an answer or a photo: `posts.report` sets exactly one of the five. One
    report per person per item (partial unique constraints); `resolved_at` is set
    when a moderator decides on the item."""

    TARGETS = ("suggestion", "comment", "fan_question", "answer", "photo")

    reporter = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="reports")
    suggestion = models.ForeignKey(
        Suggestion, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    fan_question = models.ForeignKey(
        "FanQuestion", on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    answer = models.ForeignKey(
        "Answer", on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    photo = models.ForeignKey(
        "Photo", on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "suggestion"],
                condition=Q(suggestion__isnull=False),
                name="report_once_per_suggestion",
            ),
            models.UniqueConstraint(
                fields=["reporter", "comment"],
                condition=Q(comment__isnull=False),
                name="report_once_per_comment",
            ),
            models.UniqueConstraint(
                fields=["reporter", "fan_question"],
                condition=Q(fan_question__isnull=False),
                name="report_once_per_fan_question",
            ),
            models.UniqueConstraint(
                fields=["reporter", "answer"],
                condition=Q(answer__isnull=False),
                name="report_once_per_answer",
            ),
            models.UniqueConstraint(
                fields=["reporter", "photo"],
                condition=Q(photo__isnull=False),
                name="report_once_per_photo",
            ),
        ]


class ModerationAction(WorkspaceScoped):
    """The log: one row per moderation decision, automatic (`moderator` None) or not."""

    class Kind(models.TextChoices):
        HOLD = "hold", "Held automatically"
        APPROVE = "approve", "Approved"
        EDIT = "edit", "Edited and approved"
        REJECT = "reject", "Rejected"
        BAN = "ban", "Banned"
        UNBAN = "unban", "Ban lifted"
        MERGE = "merge", "Merged duplicates"
        STATUS = "status", "Status changed"
        SETTINGS = "settings", "Settings changed"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    moderator = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    suggestion = models.ForeignKey(
        Suggestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at"])]
        ordering = ("-created_at",)


class Ban(WorkspaceScoped):
    """A participant may not post until `until`."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="bans")
    until = models.DateTimeField()
    reason = models.TextField(blank=True)
    by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "participant", "until"])]


class Announcement(WorkspaceScoped):
    """The community's choice, announced when a question closes, with its credit."""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="announcement")
    chosen_suggestion = models.ForeignKey(
        Suggestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    chosen_choice = models.ForeignKey(
        Choice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField(blank=True)
    credit = models.CharField(max_length=300)
    voter_count = models.PositiveIntegerField(default=0)
    first_suggested_by = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    notified = models.PositiveIntegerField(default=0)
    notifying = models.BooleanField(
        default=False,
        help_text="The participants' notices are being queued by the worker (large questions).",
    )


class FanQuestion(WorkspaceScoped):
    """Fans answer fans: a question a customer asks the community ("Is the Sunday
    jazz night good for kids?"), answered by other customers and staff. Staff may ask
    too (through the API, e.g. a question that came in by phone): then `staff_author`
    is set and `author` is empty."""

    author = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fan_questions",
    )
    staff_author = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLISHED
    )
    hold_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "visibility", "-created_at"])]
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.title

    @property
    def author_name(self) -> str:
        if self.staff_author_id:
            return self.staff_author.display_name if self.staff_author else "Staff"
        return self.author.display_name if self.author else ""


class Answer(WorkspaceScoped):
    """An answer to a fan question. Staff may mark one answer accepted (a database
    constraint keeps it to one) and thank its author."""

    fan_question = models.ForeignKey(FanQuestion, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(
        Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="answers"
    )
    staff_author = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField()
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLISHED
    )
    hold_reason = models.CharField(max_length=300, blank=True)
    accepted = models.BooleanField(default=False)
    accepted_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    thanks = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fan_question"], condition=Q(accepted=True), name="answer_one_accepted"
            )
        ]
        ordering = ("-accepted", "created_at")

    @property
    def author_name(self) -> str:
        if self.staff_author_id:
            return self.staff_author.display_name if self.staff_author else "Staff"
        return self.author.display_name if self.author else ""


def _photo_path(instance: Photo, filename: str) -> str:
    return f"community/{instance.workspace_id}/{timezone.now():%Y/%m}/{filename}"


class Photo(WorkspaceScoped):
    """A customer's photo (an event, a favourite corner), shared with explicit consent
    to publish and the credit they chose; public only once staff approve it. The
    stored picture and its thumbnail carry no metadata (EXIF location stripped)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Published"
        REJECTED = "rejected", "Not published"

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=_photo_path, max_length=255)
    thumbnail = models.FileField(upload_to=_photo_path, max_length=255)
    content_type = models.CharField(max_length=40)
    caption = models.CharField(max_length=200, blank=True)
    credit = models.CharField(max_length=80, help_text="How the photographer asked to be credited.")
    consent_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    hold_reason = models.CharField(
        max_length=300, blank=True, help_text="Why a published photo went back for review."
    )
    decided_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "status", "-created_at"])]
        ordering = ("-created_at",)
