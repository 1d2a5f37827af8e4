"""The inbox's part of a contact's page: the person's conversations, newest first."""

from __future__ import annotations

from django.template.loader import render_to_string

from frontdesk.core import roles
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import Contact
from frontdesk.inbox import queries

# A contact page is not an archive: the newest ones, then a count of the rest.
SHOWN = 50


def conversations_section(request: WorkspaceRequest, contact: Contact) -> str:
    """The "Conversations" card, for members who may read the inbox."""
    if not request.membership.can(roles.VIEW_INBOX):
        return ""
    rows, total = queries.contact_conversations(request.workspace, contact, limit=SHOWN)
    return render_to_string(
        "inbox/_contact_conversations.html",
        {"contact": contact, "conversations": rows, "total": total, "shown": len(rows)},
        request=request,
    )
