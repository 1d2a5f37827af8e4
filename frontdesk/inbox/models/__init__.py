"""The inbox's tables, one module per concept; import them from here."""

from frontdesk.inbox.models.channels import (
    DEFAULT_THREADING_WINDOW_HOURS,
    Channel,
    InboundEvent,
    InboundEventStatus,
)
from frontdesk.inbox.models.conversations import (
    ACTIVE_STATUSES,
    STATUS_TRANSITIONS,
    Conversation,
    ConversationStatus,
    Priority,
    Tag,
    Team,
)
from frontdesk.inbox.models.drafts import ComposerDraft
from frontdesk.inbox.models.messages import (
    ACKNOWLEDGING_AUTOMATIC_REASONS,
    REPLIES_ALLOWED_AFTER_OPT_OUT,
    SETTLING_AUTOMATIC_REASONS,
    Attachment,
    AutomaticReason,
    DeliveryStatus,
    Message,
    MessageKind,
    MessagePart,
)
from frontdesk.inbox.models.reads import ConversationRead, is_unread
from frontdesk.inbox.models.workspace import (
    WEEKDAYS,
    InboxSettings,
    Notification,
    NotificationKind,
    SavedReply,
    default_business_hours,
)

__all__ = [
    "ACKNOWLEDGING_AUTOMATIC_REASONS",
    "ACTIVE_STATUSES",
    "DEFAULT_THREADING_WINDOW_HOURS",
    "REPLIES_ALLOWED_AFTER_OPT_OUT",
    "SETTLING_AUTOMATIC_REASONS",
    "STATUS_TRANSITIONS",
    "WEEKDAYS",
    "Attachment",
    "AutomaticReason",
    "Channel",
    "ComposerDraft",
    "Conversation",
    "ConversationRead",
    "ConversationStatus",
    "DeliveryStatus",
    "InboundEvent",
    "InboundEventStatus",
    "InboxSettings",
    "Message",
    "MessageKind",
    "MessagePart",
    "Notification",
    "NotificationKind",
    "Priority",
    "SavedReply",
    "Tag",
    "Team",
    "default_business_hours",
    "is_unread",
]
