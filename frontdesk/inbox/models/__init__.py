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
from frontdesk.inbox.models.messages import Attachment, DeliveryStatus, Message, MessageKind
from frontdesk.inbox.models.workspace import (
    WEEKDAYS,
    InboxSettings,
    Notification,
    NotificationKind,
    SavedReply,
    default_business_hours,
)

__all__ = [
    "ACTIVE_STATUSES",
    "DEFAULT_THREADING_WINDOW_HOURS",
    "STATUS_TRANSITIONS",
    "WEEKDAYS",
    "Attachment",
    "Channel",
    "Conversation",
    "ConversationStatus",
    "DeliveryStatus",
    "InboundEvent",
    "InboundEventStatus",
    "InboxSettings",
    "Message",
    "MessageKind",
    "Notification",
    "NotificationKind",
    "Priority",
    "SavedReply",
    "Tag",
    "Team",
    "default_business_hours",
]
