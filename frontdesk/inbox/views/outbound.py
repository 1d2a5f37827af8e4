"""Writing first to a contact (a text or an email from their contact page)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from frontdesk.core import roles
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import Contact, ContactIdentity
from frontdesk.core.permissions import require_capability
from frontdesk.inbox import actions, kinds
from frontdesk.inbox.models import Channel
from frontdesk.inbox.reach import VERBS
from frontdesk.inbox.views.common import _conversation_url


@dataclass(frozen=True)
class WriteOption:
    channel: Channel
    verb: str
    address: str


def _options(workspace_id: int, contact: Contact) -> list[WriteOption]:
    """Each active channel that can send, with the contact's address it would use."""
    addresses: dict[str, str] = {}
    for identity in ContactIdentity.objects.filter(contact=contact).order_by("-created_at"):
        addresses.setdefault(identity.kind, identity.display_value)
    options = []
    channels = Channel.objects.filter(workspace_id=workspace_id, is_active=True)
    for channel in channels.order_by("kind", "name", "pk"):
        try:
            adapter = kinds.get(channel.kind).adapter
        except kinds.UnknownChannelKind:
            continue
        kind = adapter.reply_identity_kind
        if adapter.can("send") and kind in addresses:
            options.append(WriteOption(channel, VERBS.get(kind, channel.name), addresses[kind]))
    # A channel every workspace has before setup (the web form's email replies) gives
    # way to one set up for that address kind (an email channel).
    set_up = {
        kinds.get(o.channel.kind).adapter.reply_identity_kind
        for o in options
        if not kinds.get(o.channel.kind).ready_address
    }
    return [
        o
        for o in options
        if not kinds.get(o.channel.kind).ready_address
        or kinds.get(o.channel.kind).adapter.reply_identity_kind not in set_up
    ]


@require_capability(roles.REPLY)
def write_to_contact(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """GET: the contact page's "Write to them" form; POST: start the conversation."""
    contact = get_object_or_404(
        Contact.objects.for_workspace(request.workspace).filter(merged_into__isnull=True), pk=pk
    )
    if request.method == "POST":
        channel = get_object_or_404(
            Channel.objects.for_workspace(request.workspace), pk=request.POST.get("channel") or 0
        )
        conversation = actions.start_outbound_conversation(
            contact,
            channel=channel,
            body=request.POST.get("body", "")[: actions.replies.REPLY_MAX_LENGTH + 1],
            by=request.membership,
        )
        conversation.workspace = request.workspace
        url = _conversation_url(conversation)
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    return render(
        request,
        "inbox/_write_to_contact.html",
        {"contact": contact, "options": _options(request.workspace.pk, contact)},
    )
