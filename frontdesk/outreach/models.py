"""Outreach's tables: who a message comes from, what it says, whom it goes to, and
what happened to each copy.

One `Delivery` row per recipient per campaign or notice carries the whole sending
state machine (see `DeliveryState`); `Suppression` lists addresses nothing more may
be sent to. Every row belongs to a workspace.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from frontdesk.core.models import Contact, Membership
from frontdesk.core.scoping import WorkspaceManager, WorkspaceScoped
from frontdesk.inbox.models import Channel, Conversation


class MessageKind(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class SenderIdentity(WorkspaceScoped):
    """A staff member as the face of outreach: the person every message names.

    Email goes out through `email_channel` (its configured, verified sending
    address) as "Maya Patel via Riverside Library", or from the person's own
    `from_address` once it is verified; texts go out on `sms_channel`.
    `archived_at`: no longer offered for new messages (campaigns and notices that
    name it keep it, which is why it cannot simply be deleted).
    """

    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=80, help_text="As recipients see it, e.g. “Maya Patel”.")
    title = models.CharField(max_length=80, blank=True)
    # Under staff/: the one public folder of MEDIA_ROOT (recipients may see the face).
    photo = models.ImageField(upload_to="staff/senders/%Y/", blank=True)
    signature = models.TextField(blank=True)
    email_channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_address = models.EmailField(
        blank=True, help_text="The person's own sending address (used only once verified)."
    )
    from_address_verified = models.BooleanField(default=False)
    sms_channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "name"])]

    def __str__(self) -> str:
        return self.name


class Topic(WorkspaceScoped):
    """A kind of mail a contact may opt in to or out of (newsletter, events).

    `double_opt_in`: a subscription counts only once confirmed from the mail sent to
    the address (newsletters).
    """

    slug = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=255, blank=True)
    double_opt_in = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "slug"], name="outreach_topic_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    SUBSCRIBED = "subscribed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class Subscription(WorkspaceScoped):
    """One contact's choice about one topic."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions")
    status = models.CharField(max_length=12, choices=SubscriptionStatus.choices)
    updated_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "topic"], name="outreach_subscription_unique"
            )
        ]


class Template(WorkspaceScoped):
    """What a message says: email subject + HTML (the text part is generated) or an
    SMS body, with {{ contact.first_name }}-style placeholders (`render.py`).

    `key` marks a template another app sends its notices with (e.g.
    "community.status"): made with default wording the first time it is needed
    (`actions/app_notices.py`), then found by key, so staff may reword it."""

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=MessageKind.choices, default=MessageKind.EMAIL)
    subject = models.CharField(max_length=255, blank=True)
    html = models.TextField(blank=True)
    sms_body = models.TextField(blank=True)
    key = models.CharField(
        max_length=60,
        blank=True,
        help_text="Set on the templates other apps send notices with; leave it as it is.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "key", "kind"],
                condition=~models.Q(key=""),
                name="outreach_template_key_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    PAUSED = "paused", "Paused"
    DONE = "done", "Sent"


class Campaign(WorkspaceScoped):
    """A message to an audience, now or at `scheduled_for`; pausable.

    `audience` is the filter (`audiences.py`) recorded as JSON; the recipients are
    fixed as Delivery rows when it starts.
    """

    name = models.CharField(max_length=120)
    sender = models.ForeignKey(SenderIdentity, on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, null=True, blank=True)
    audience = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    scheduled_for = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at", "-id"])]

    def __str__(self) -> str:
        return self.name


class Notice(WorkspaceScoped):
    """A transactional message to one contact (hold ready, item overdue), from the
    API, a CSV import or another app (community updates); `data` holds the
    item/event fields the template names. `external_id` makes a repeated API call or
    import line create nothing twice. With a `topic`, an unsubscribe stops that topic
    only; without one it stops all outreach to the address."""

    sender = models.ForeignKey(SenderIdentity, on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    topic = models.ForeignKey(
        Topic,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The kind of mail it is, if the recipient may opt out of it alone.",
    )
    external_id = models.CharField(max_length=120)
    source = models.CharField(max_length=8, default="api")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="outreach_notice_external_unique"
            )
        ]
        # The index page lists them newest first, a page at a time.
        indexes = [models.Index(fields=["workspace", "-created_at", "-id"])]


class DeliveryState(models.TextChoices):
    """queued -> claimed -> sending -> sent; or failed / suppressed.

    `claimed`: a worker took it (claim token, time); a stale claim goes back to
    queued. `sending`: committed right before the message's final "." went to
    the SMTP server, the point after which it may have been accepted; a delivery
    found here after a crash is never sent again (see `sending.py`).
    """

    QUEUED = "queued", "Queued"
    CLAIMED = "claimed", "Claimed"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SUPPRESSED = "suppressed", "Suppressed"


class Delivery(WorkspaceScoped):
    """One message to one recipient for one campaign or notice.

    `idempotency_key` is unique and is the mail's Message-ID local part, so the
    same delivery always carries the same Message-ID.
    """

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    notice = models.ForeignKey(
        Notice, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=MessageKind.choices, default=MessageKind.EMAIL)
    address = models.CharField(max_length=320)
    idempotency_key = models.CharField(max_length=64, unique=True)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed = models.BooleanField(
        default=False, help_text="The server's acceptance was recorded (not only handed over)."
    )
    provider_message_id = models.CharField(max_length=255, blank=True)
    error = models.CharField(max_length=500, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    reply_conversation = models.ForeignKey(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Only when the workspace tracks opens and clicks (`OutreachSettings`): the first
    # time the open pixel was fetched / a click link followed, and how many times.
    opened_at = models.DateTimeField(null=True, blank=True)
    opens = models.PositiveSmallIntegerField(default=0)
    clicked_at = models.DateTimeField(null=True, blank=True)
    clicks = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact"],
                condition=models.Q(campaign__isnull=False),
                name="outreach_delivery_campaign_contact_unique",
            ),
            models.UniqueConstraint(
                fields=["notice"],
                condition=models.Q(notice__isnull=False),
                name="outreach_delivery_notice_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outreach_delivery_due"),
            models.Index(fields=["workspace", "provider_message_id"]),
            models.Index(fields=["campaign", "state"]),
        ]


class SuppressionReason(models.TextChoices):
    BOUNCE = "bounce", "Bounced"
    COMPLAINT = "complaint", "Marked as spam"
    UNSUBSCRIBE = "unsubscribe", "Unsubscribed"
    OPT_OUT = "opt_out", "Texted STOP"


class Suppression(WorkspaceScoped):
    """An address outreach never sends to again (staff replies are not affected)."""

    address = models.CharField(max_length=320)
    reason = models.CharField(max_length=12, choices=SuppressionReason.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "address"], name="outreach_suppression_unique"
            )
        ]


class ContactData(WorkspaceScoped):
    """Custom fields and tags of a contact for personalisation and audiences
    (imported from CSV)."""

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="+")
    fields = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)


class OutreachSettings(models.Model):
    """A workspace's outreach policy: the postal address every footer shows (the law
    in many places), whether opens/clicks are tracked (off: privacy), and the
    default sender of notices other apps send."""

    workspace = models.OneToOneField(
        "core.Workspace", on_delete=models.CASCADE, related_name="+", editable=False
    )
    physical_address = models.TextField(blank=True)
    track_opens_and_clicks = models.BooleanField(default=False)
    default_sender = models.ForeignKey(
        SenderIdentity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who notices come from when the staff member who acted has no sender "
        "identity of their own (community updates).",
    )

    objects = WorkspaceManager()

    def __str__(self) -> str:
        return f"Outreach settings of workspace {self.workspace_id}"


class ImportKind(models.TextChoices):
    CONTACTS = "contacts", "Contacts"
    NOTICES = "notices", "Notices"


class ImportStatus(models.TextChoices):
    """uploaded -> checking -> checked -> importing -> done; failed when the file
    cannot be read to the end."""

    UPLOADED = "uploaded", "Uploaded"
    CHECKING = "checking", "Checking"
    CHECKED = "checked", "Checked"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class ImportRun(WorkspaceScoped):
    """One uploaded CSV file and what became of it (`imports.py`): contacts, or notice
    data (holds ready, overdue items) that becomes one notice per row.

    The file is kept under MEDIA_ROOT/imports/ (never served) until the import is
    done; the dry run and the import read it in chunks in the task queue, and record
    their progress (`processed`) and counts here, so a page can show a progress bar.
    `report` holds the invalid rows ({"row": 7, "reason": "..."}, the first
    `imports.REPORT_ROWS`)."""

    kind = models.CharField(max_length=8, choices=ImportKind.choices)
    filename = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=255, blank=True)
    encoding = models.CharField(max_length=12, default="utf-8")
    delimiter = models.CharField(max_length=1, default=",")
    columns = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True, help_text="Column name -> target.")
    template = models.ForeignKey(
        Template, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sender = models.ForeignKey(
        SenderIdentity, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    create_contacts = models.BooleanField(
        default=False, help_text="Notices: a patron the workspace does not know becomes a contact."
    )
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    checked = models.JSONField(
        default=dict, blank=True, help_text="The dry run's counts, kept once the import runs."
    )
    error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_by = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who asked for the check or the import: the task acts as them.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        if self.status in (ImportStatus.CHECKED, ImportStatus.DONE):
            return 100
        return min(100, self.processed * 100 // self.total) if self.total else 0

    @property
    def busy(self) -> bool:
        return self.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING)
