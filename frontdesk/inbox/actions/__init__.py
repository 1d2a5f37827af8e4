"""Every write to the inbox. Views, the API, tasks and commands all call these."""

from frontdesk.inbox.actions.common import InboxError, NotAllowed
from frontdesk.inbox.actions.conversations import (
    add_tag,
    assign_conversation,
    assign_team,
    inbox_settings_for,
    mark_pending,
    remove_tag,
    reopen_conversation,
    resolve_conversation,
    set_priority,
    snooze_conversation,
    start_conversation,
    wake_snoozed,
)
from frontdesk.inbox.actions.drafts import (
    discard_draft,
    draft_for,
    record_posted_reply,
    save_draft,
)
from frontdesk.inbox.actions.notes import add_note, add_system_note, find_mentions
from frontdesk.inbox.actions.notifications import (
    mark_notifications_read,
    send_notification_email,
)
from frontdesk.inbox.actions.reads import mark_conversation_read, mark_read_if_unread
from frontdesk.inbox.actions.replies import (
    compose_outbound,
    deliver_message,
    record_delivery_status,
    retry_delivery,
    send_reply,
    start_outbound_conversation,
    sweep_deliveries,
)
from frontdesk.inbox.actions.saved_replies import (
    SavedReplyInvalid,
    can_change_saved_reply,
    create_saved_reply,
    delete_saved_reply,
    update_saved_reply,
)
from frontdesk.inbox.actions.settings import update_inbox_settings, validate_business_hours
from frontdesk.inbox.actions.triage import correct_triage

__all__ = [
    "InboxError",
    "NotAllowed",
    "SavedReplyInvalid",
    "add_note",
    "add_system_note",
    "add_tag",
    "assign_conversation",
    "assign_team",
    "can_change_saved_reply",
    "compose_outbound",
    "correct_triage",
    "create_saved_reply",
    "delete_saved_reply",
    "deliver_message",
    "discard_draft",
    "draft_for",
    "find_mentions",
    "inbox_settings_for",
    "mark_conversation_read",
    "mark_notifications_read",
    "mark_pending",
    "mark_read_if_unread",
    "record_delivery_status",
    "record_posted_reply",
    "remove_tag",
    "reopen_conversation",
    "resolve_conversation",
    "retry_delivery",
    "save_draft",
    "send_notification_email",
    "send_reply",
    "set_priority",
    "snooze_conversation",
    "start_conversation",
    "start_outbound_conversation",
    "sweep_deliveries",
    "update_inbox_settings",
    "update_saved_reply",
    "validate_business_hours",
    "wake_snoozed",
]
