"""Addresses a bounce said cannot receive mail, as staff meet them.

- `address_problem` is the email kind's `address_problem` hook: the composer offers
  no email route to a marked address (with the bounce's reason and date), and
  `send_reply` refuses one (for the web form's email replies too).
- `contact_section` is the card on the contact's page listing their marked addresses,
  each with the reason, the date and a "Deliverable again" button for staff
  (`actions.clear_undeliverable`). The mark also clears when the person writes again
  from the address (`handling.after_inbound`).
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from frontdesk.channels.email.models import UndeliverableAddress
from frontdesk.core import roles
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import Contact


def address_problem(workspace_id: int, identity_kind: str, value: str) -> str:
    """Why mail to `value` won't arrive ("" when nothing bounced)."""
    if identity_kind != "email":
        return ""
    marked = (
        UndeliverableAddress.objects.filter(workspace_id=workspace_id, address=value.lower())
        .only("reason", "bounced_at")
        .first()
    )
    if marked is None:
        return ""
    on = f"{timezone.localtime(marked.bounced_at):%-d %b %Y}"
    reason = marked.reason.strip() or "the receiving server refused it"
    return f"mail to it bounced on {on} ({reason[:160]})"


def contact_section(request: WorkspaceRequest, contact: Contact) -> str:
    """The "Undeliverable email" card, when one of the contact's addresses bounced."""
    if not request.membership.can(roles.VIEW_INBOX):
        return ""
    addresses = [
        identity.value for identity in contact.identities.all() if identity.kind == "email"
    ]
    if not addresses:
        return ""
    marked = list(
        UndeliverableAddress.objects.for_workspace(request.workspace)
        .filter(address__in=addresses)
        .order_by("address")
    )
    if not marked:
        return ""
    return render_to_string(
        "email/_contact_undeliverable.html",
        {
            "contact": contact,
            "marked": marked,
            "can_clear": request.membership.can(roles.REPLY),
        },
        request=request,
    )
