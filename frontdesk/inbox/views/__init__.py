"""Staff inbox pages: parse, authorise, call one action, render a page or a fragment.

Pages work without JavaScript (forms post and redirect back); with htmx the same
URLs answer with the fragment that changed, so a half-typed reply is never lost.
Fragments start with `_` (templates/inbox/). One module per part of the page:
`lists` (the list, bulk changes, notifications, search), `conversation` (a
conversation and its fragments), `changes` (the forms that change one).
"""

from frontdesk.inbox.views.changes import (
    assign,
    correct_triage,
    note,
    pending,
    priority,
    reopen,
    reply,
    resolve,
    retry,
    snooze,
    tag,
    untag,
)
from frontdesk.inbox.views.conversation import (
    attachment,
    conversation,
    conversation_header,
    message_fragment,
    timeline,
)
from frontdesk.inbox.views.lists import (
    bulk,
    conversation_row,
    inbox_list,
    notifications,
    notifications_read,
    search,
    sidebar,
)
from frontdesk.inbox.views.outbound import write_to_contact

__all__ = [
    "assign",
    "attachment",
    "bulk",
    "conversation",
    "conversation_header",
    "conversation_row",
    "correct_triage",
    "inbox_list",
    "message_fragment",
    "note",
    "notifications",
    "notifications_read",
    "pending",
    "priority",
    "reopen",
    "reply",
    "resolve",
    "retry",
    "search",
    "sidebar",
    "snooze",
    "tag",
    "timeline",
    "untag",
    "write_to_contact",
]
