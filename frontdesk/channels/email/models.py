"""An email channel's own configuration, the raw mail it received, and what email adds
to a message (headers for threading, the full original, CC'd participants).

Generic channel options (`threading_window_hours`, `auto_acknowledge`) stay in
`Channel.settings`; what only email has lives here. IMAP settings live in the IMAP
module's own model, not here.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from frontdesk.core.scoping import WorkspaceScoped
from frontdesk.inbox.models import Channel, Conversation, InboundEvent, Message

DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024
DEFAULT_AUTO_ACK_TEXT = (
    "Thank you for writing to {workspace}. We have your message and a person will answer "
    "soon. You can reply to this email to add anything."
)


def new_webhook_key() -> str:
    return secrets.token_urlsafe(24)


class InboundProvider(models.TextChoices):
    """How mail reaches this channel (IMAP polling is configured on its own page)."""

    SMTPD = "smtpd", "Built-in SMTP receiver (frontdesk smtpd)"
    IMAP = "imap", "IMAP mailbox"
    MAILGUN = "mailgun", "Mailgun inbound route"
    POSTMARK = "postmark", "Postmark inbound webhook"
    SENDGRID = "sendgrid", "SendGrid Inbound Parse"
    AMAZON_SES = "amazon_ses", "Amazon SES (SNS notification)"
    BREVO = "brevo", "Brevo inbound parsing"


class OutboundBackend(models.TextChoices):
    DEFAULT = "default", "This server's mail settings (EMAIL_* environment variables)"
    SMTP = "smtp", "An SMTP server of this channel"
    MAILGUN = "mailgun", "Mailgun API"
    POSTMARK = "postmark", "Postmark API"
    SENDGRID = "sendgrid", "SendGrid API"
    AMAZON_SES = "amazon_ses", "Amazon SES API"
    BREVO = "brevo", "Brevo API"


class EmailChannelConfig(WorkspaceScoped):
    """Where one email channel receives mail and how it sends."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="email_config")
    # Unique across the install: the SMTP receiver finds the workspace by address.
    address = models.EmailField(
        unique=True, help_text="The address customers write to, e.g. desk@riverside.example."
    )
    other_addresses = models.TextField(
        blank=True, help_text="Other addresses of this mailbox (aliases), one per line."
    )
    display_name = models.CharField(
        max_length=120, blank=True, help_text="Shown after the person's name: “Maya via …”."
    )
    from_address = models.EmailField(
        blank=True, help_text="Address replies are sent from; empty: the address above."
    )
    plus_addressing = models.BooleanField(
        default=True,
        help_text="Replies carry a per-conversation Reply-To (desk+code@…) so answers find "
        "their conversation even when a mail client drops the threading headers.",
    )
    inbound_provider = models.CharField(
        max_length=16, choices=InboundProvider.choices, default=InboundProvider.SMTPD
    )
    webhook_key = models.CharField(max_length=64, unique=True, default=new_webhook_key)
    webhook_secret = models.CharField(
        max_length=255,
        blank=True,
        help_text="Mailgun: the webhook signing key. Postmark, SendGrid, Amazon SES, Brevo: "
        "user:password of the webhook URL (basic auth).",
    )
    # SendGrid's Signed Event Webhook: the public key its tracking posts are signed with.
    tracking_verification_key = models.TextField(
        blank=True,
        help_text="SendGrid only: the Signed Event Webhook's verification key (Settings → "
        "Mail Settings → Event Webhook → Signature verification). Set, tracking events "
        "must carry SendGrid's ECDSA signature.",
    )
    # Amazon SES: SNS messages are accepted only from these topics (and correctly signed).
    sns_topic_arns = models.TextField(
        blank=True,
        help_text="Amazon SES only: the ARNs of the SNS topics that post to this channel "
        "(arn:aws:sns:region:account:name), one per line. Messages from any other topic "
        "are refused.",
    )
    outbound_backend = models.CharField(
        max_length=16, choices=OutboundBackend.choices, default=OutboundBackend.DEFAULT
    )
    smtp_host = models.CharField(max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(default=587)
    smtp_username = models.CharField(max_length=255, blank=True)
    smtp_password = models.CharField(max_length=255, blank=True)
    smtp_use_tls = models.BooleanField(default=True)
    api_key = models.CharField(max_length=255, blank=True, help_text="The provider's API key.")
    max_message_bytes = models.PositiveIntegerField(default=DEFAULT_MAX_MESSAGE_BYTES)
    # Empty: DEFAULT_AUTO_ACK_TEXT.
    auto_ack_text = models.TextField(blank=True, max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "email channel configuration"

    def __str__(self) -> str:
        return self.address

    def all_addresses(self) -> list[str]:
        """The address and its aliases, lower-cased."""
        found = [self.address.strip().lower()]
        for line in self.other_addresses.splitlines():
            line = line.strip().lower()
            if line and line not in found:
                found.append(line)
        return found

    @property
    def sending_address(self) -> str:
        return (self.from_address or self.address).strip().lower()

    def sns_topics(self) -> list[str]:
        return [line.strip() for line in self.sns_topic_arns.splitlines() if line.strip()]


class SnsMessageReceipt(WorkspaceScoped):
    """One Amazon SNS message (by its MessageId) a channel accepted: a second delivery
    of it is a replay and refused. Rows older than the age SNS messages are accepted at
    are deleted, since the age check refuses those messages anyway."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "message_id"], name="email_sns_once")
        ]
        indexes = [models.Index(fields=["channel", "received_at"], name="email_sns_age")]

    def __str__(self) -> str:
        return self.message_id


class RawEmail(WorkspaceScoped):
    """The bytes of one received mail, stored with its InboundEvent in one transaction
    (store first: processing reads them back; nothing is parsed before this exists)."""

    event = models.OneToOneField(InboundEvent, on_delete=models.CASCADE, related_name="email_raw")
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    via = models.CharField(max_length=32, help_text="smtpd, imap, mailgun, …")
    envelope_recipients = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.size} bytes via {self.via}"


class ThreadSignal(models.TextChoices):
    """What put an incoming mail in its conversation (staff see it)."""

    HEADERS = "headers", "In-Reply-To / References"
    REPLY_ADDRESS = "reply_address", "Conversation reply address"
    BODY_MARKER = "body_marker", "Reference in the text"
    SUBJECT_NUMBER = "subject_number", "Conversation number in the subject"
    CONTACT = "contact", "Same sender's open conversation"
    MOVED = "moved", "Moved by staff"


class EmailDetail(WorkspaceScoped):
    """What an email adds to an incoming message: its headers for threading, the whole
    text and sanitised HTML ("show the full original"), its flags."""

    event = models.OneToOneField(
        InboundEvent, on_delete=models.CASCADE, related_name="email_detail"
    )
    message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="email_detail"
    )
    # The mail's own Message-ID header, with its <>.
    header_message_id = models.CharField(max_length=255, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.JSONField(default=list, blank=True)
    to = models.JSONField(default=list, blank=True)
    cc = models.JSONField(default=list, blank=True)
    # Every address the mail was delivered to (envelope and headers): where a
    # per-conversation reply address shows up.
    recipients = models.JSONField(default=list, blank=True)
    # {content id: stored file name} of inline images, for `cid:` links in the HTML.
    inline_images = models.JSONField(default=dict, blank=True)
    body_text_full = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    is_auto_reply = models.BooleanField(default=False)
    is_list_mail = models.BooleanField(default=False)
    thread_signal = models.CharField(max_length=16, choices=ThreadSignal.choices, blank=True)
    defects = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "header_message_id"], name="email_detail_msgid")
        ]

    def __str__(self) -> str:
        return self.header_message_id or f"email detail {self.pk}"


class EmailParticipant(WorkspaceScoped):
    """Someone besides the contact on a conversation's mail (CC'd on an incoming mail):
    copied on replies, and allowed to continue the thread."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="email_participants"
    )
    address = models.CharField(max_length=320)
    name = models.CharField(max_length=160, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "address"], name="email_participant_unique"
            )
        ]
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.address


class UndeliverableAddress(WorkspaceScoped):
    """An address a bounce said cannot receive mail (shown to staff; cleared when the
    person writes in again)."""

    address = models.CharField(max_length=320)
    reason = models.CharField(max_length=500, blank=True)
    bounced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "address"], name="email_undeliverable_unique"
            )
        ]

    def __str__(self) -> str:
        return self.address


# IMAP mailboxes reading into an email channel (their own module).
from frontdesk.channels.email.imap_models import ImapMailbox  # noqa: E402, F401
