"""Listening's tables: what to look for (watches), where (sources), what was found
(mentions), and which source posts have been seen (sightings).

Every row belongs to one workspace. A mention is one *story*: the same post seen
again on a re-poll, syndicated to another feed or shared under a tracking-laden
URL is one mention with several sightings, so it alerts once.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import models
from django.utils import timezone

from frontdesk.core.models import Membership
from frontdesk.core.scoping import WorkspaceScoped

# Sources are polled no faster than this unless the feed itself says so.
DEFAULT_POLL_SECONDS = 15 * 60
MIN_POLL_SECONDS = 60
# Failing sources wait longer each time, at most this long; never disabled.
MAX_BACKOFF = timedelta(hours=12)


class Watch(WorkspaceScoped):
    """A named query staff want to hear about ("Riverside Library" -"Riverside, CA").

    `query` is in the watch query language (listening/query.py). Alerts go to staff
    live and in an email digest, except during quiet hours (workspace time).
    """

    name = models.CharField(max_length=80)
    query = models.TextField(
        help_text='Words and "quoted phrases"; AND, OR, NOT, parentheses, -exclusions.'
    )
    language = models.CharField(
        max_length=8, blank=True, help_text="Only posts in this language (e.g. en); empty: any."
    )
    is_active = models.BooleanField(default=True)
    alert_negative = models.BooleanField(default=True, help_text="Alert on unhappy mentions.")
    alert_needs_reply = models.BooleanField(
        default=True, help_text="Alert on mentions that ask something or need an answer."
    )
    alert_spike = models.BooleanField(
        default=True, help_text="Alert when mentions come much faster than usual."
    )
    digest_email = models.BooleanField(default=True, help_text="Email a digest of alerts.")
    quiet_start = models.TimeField(null=True, blank=True, help_text="No alerts from…")
    quiet_end = models.TimeField(null=True, blank=True, help_text="…until (workspace time).")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    spike_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="watch_unique_name")
        ]
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def is_quiet(self, at: datetime) -> bool:
        """Whether `at` falls in this watch's quiet hours (workspace time)."""
        if self.quiet_start is None or self.quiet_end is None:
            return False
        local: time = at.astimezone(self.workspace.tzinfo).time()
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end  # over midnight


class SourceKind(models.TextChoices):
    FEED = "feed", "Feed (RSS, Atom, JSON Feed)"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    REDDIT = "reddit", "Reddit"
    HACKERNEWS = "hackernews", "Hacker News"


class Source(WorkspaceScoped):
    """One place polled for mentions: a feed URL, or a search on a network.

    `cursor` is the adapter's opaque resume point (a feed's ETag and Last-Modified,
    a search's newest id). A failing source backs off (`failures`, `last_error`
    shown to staff) and keeps being retried: it is never silently disabled.
    """

    kind = models.CharField(max_length=16, choices=SourceKind.choices)
    name = models.CharField(max_length=120, blank=True)
    url = models.CharField(
        max_length=1000,
        blank=True,
        help_text="A feed or page URL; for a network, the server (e.g. https://mastodon.social).",
    )
    query = models.CharField(
        max_length=300, blank=True, help_text="What to search for (a hashtag on Mastodon)."
    )
    settings = models.JSONField(
        default=dict, blank=True, help_text="Account settings (tokens) for the network."
    )
    cursor = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    interval_seconds = models.PositiveIntegerField(default=DEFAULT_POLL_SECONDS)
    next_poll_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["is_active", "next_poll_at"]),
            models.Index(fields=["workspace", "kind"]),
        ]
        ordering = ("kind", "name", "id")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.kind == SourceKind.FEED:
            return self.url
        return f"{self.get_kind_display()}: {self.query}"


class MentionStatus(models.TextChoices):
    NEW = "new", "New"
    SEEN = "seen", "Seen"
    REACHED_OUT = "reached_out", "Reached out"
    IGNORED = "ignored", "Ignored"


class Mention(WorkspaceScoped):
    """One public post (one story) that matched a watch.

    `story_key` is the content fingerprint: the same text syndicated elsewhere or
    re-polled is this row again (see Sighting). `matched_terms` are the words of the
    watches that matched, for highlighting; `alert_reasons` say why staff were told.
    """

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="mentions")
    external_id = models.CharField(max_length=1000)
    url = models.CharField(max_length=2000, blank=True)
    canonical_url = models.CharField(max_length=1000, blank=True)
    story_key = models.CharField(max_length=64)
    # SimHash of the text (signed 64-bit): a near copy of a recent mention is that mention.
    simhash = models.BigIntegerField(default=0)
    author_name = models.CharField(max_length=200, blank=True)
    author_handle = models.CharField(max_length=200, blank=True)
    author_url = models.CharField(max_length=1000, blank=True)
    author_email = models.EmailField(blank=True)
    title = models.CharField(max_length=500, blank=True)
    excerpt = models.TextField(blank=True)
    text = models.TextField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    found_at = models.DateTimeField(default=timezone.now)
    reach = models.JSONField(default=dict, blank=True)
    watches = models.ManyToManyField(Watch, related_name="mentions", blank=True)
    matched_terms = models.JSONField(default=list, blank=True)
    sentiment_label = models.CharField(max_length=10, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    sentiment_reason = models.CharField(max_length=300, blank=True)
    needs_reply = models.BooleanField(default=False)
    needs_reply_reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=12, choices=MentionStatus.choices, default=MentionStatus.NEW
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    conversation = models.ForeignKey(
        "inbox.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    alert_reasons = models.JSONField(default=list, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "story_key"], name="mention_one_per_story")
        ]
        indexes = [
            models.Index(fields=["workspace", "-found_at"]),
            models.Index(fields=["workspace", "status", "-found_at"]),
            models.Index(fields=["workspace", "canonical_url"]),
        ]
        ordering = ("-found_at", "-id")

    def __str__(self) -> str:
        return self.title or self.excerpt[:60] or self.url

    @property
    def author_label(self) -> str:
        return self.author_name or self.author_handle or "Someone"


class Sighting(WorkspaceScoped):
    """A source's own post id, seen once: what makes re-polling idempotent. Several
    sightings (a feed and its syndicated copy) point at one mention."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="sightings")
    external_id = models.CharField(max_length=1000)
    external_key = models.CharField(max_length=64)
    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="sightings")
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_key"], name="sighting_unique_per_source"
            )
        ]


class SocialNetwork(models.TextChoices):
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"


class SocialAccount(WorkspaceScoped):
    """A staff member's own account on a network, to reply to a post as themselves.

    Only its owner posts with it, and only when they press Send on a reply. Mastodon:
    the member's server and an access token (write:statuses); Bluesky: their handle
    and an app password (a session is made for each reply). The token and password
    are secrets, kept like channel credentials: never shown back on a page or logged.
    """

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="social_accounts"
    )
    network = models.CharField(max_length=16, choices=SocialNetwork.choices)
    server = models.CharField(
        max_length=300, help_text="https://mastodon.social, https://bsky.social"
    )
    handle = models.CharField(max_length=200, help_text="As the network confirmed it.")
    access_token = models.CharField(max_length=512, blank=True, help_text="Kept secret.")
    app_password = models.CharField(max_length=128, blank=True, help_text="Kept secret.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "network"], name="social_account_one_per_network"
            )
        ]
        ordering = ("network",)

    def __str__(self) -> str:
        return f"{self.handle} on {self.get_network_display()}"
