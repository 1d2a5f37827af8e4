"""One conversation: the page and the fragments an open page refreshes."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBase,
)
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from frontdesk.core import roles
from frontdesk.core.consent import last_revocation
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import ConsentTopic, Membership
from frontdesk.core.permissions import require_capability
from frontdesk.inbox import actions, elsewhere, queries, reach, service_levels
from frontdesk.inbox.actions.replies import _sign_off
from frontdesk.inbox.actions.routing import latest_decision
from frontdesk.inbox.forms import (
    snooze_presets,
)
from frontdesk.inbox.kinds import UnknownChannelKind, get_connector
from frontdesk.inbox.models import (
    Attachment,
    Channel,
    Conversation,
    Message,
    Notification,
    Priority,
    SavedReply,
    Tag,
    Team,
)
from frontdesk.inbox.templating import render_saved_reply
from frontdesk.inbox.views.common import (
    INLINE_IMAGE_TYPES,
    SAVED_REPLIES_MAX,
    ListParams,
    _colleagues,
    _conversation,
    _unread_count,
    channel_icon,
    short_when,
)


def _signed_as(
    conversation: Conversation, me: Membership, channel: Channel | None = None
) -> dict[str, Any]:
    """How a reply from `me` will be signed on `channel` (the conversation's own)."""
    try:
        style = get_connector((channel or conversation.channel).kind).sign_off
    except UnknownChannelKind:
        style = "none"
    sign_off = _sign_off(me, style, conversation.workspace)
    return {
        "style": style,
        "name": me.display_name,
        "workspace": conversation.workspace.name,
        "sign_off": sign_off,
        # The signature on one line for the preview; the full text is its tooltip.
        "sign_off_line": " · ".join(line.strip() for line in sign_off.splitlines() if line.strip()),
    }


def _header_context(request: WorkspaceRequest, conversation: Conversation) -> dict[str, Any]:
    workspace = request.workspace
    now = timezone.now()
    zone = service_levels.workspace_zone(workspace)
    colleagues = _colleagues(workspace)
    return {
        "conversation": conversation,
        "tags": list(conversation.tags.all()),
        "all_tags": list(Tag.objects.for_workspace(workspace).order_by("name")[:100]),
        "assignable": [m for m in colleagues if m.can(roles.REPLY)],
        "colleagues": colleagues,
        "teams": list(Team.objects.for_workspace(workspace)),
        "priorities": Priority.choices,
        "sla": service_levels.breach_state(conversation, now, zone=zone),
        "waiting_for": short_when(conversation.waiting_since, now),
        "snooze_presets": snooze_presets(now, zone),
        "icon": channel_icon(conversation.channel),
        "params": ListParams.from_request(request),
    }


@require_GET
@require_capability(roles.VIEW_INBOX)
def conversation(request: WorkspaceRequest, number: int) -> HttpResponse:
    """A conversation: its whole history, the customer, the composer and the controls."""
    workspace, me = request.workspace, request.membership
    conversation = _conversation(request, number)
    unread = list(
        Notification.objects.filter(
            workspace=workspace, recipient=me, conversation=conversation, read_at__isnull=True
        ).values_list("pk", flat=True)
    )
    if unread:
        actions.mark_notifications_read(me, ids=unread)
    actions.mark_read_if_unread(conversation, member=me)
    contact = conversation.contact
    # One read of the customer's addresses for the page (the profile, the routes).
    prefetch_related_objects([contact], "identities")
    timeline = queries.conversation_timeline(conversation)
    history = list(queries.contact_history(conversation))
    saved = [
        (
            saved_reply,
            render_saved_reply(saved_reply.body, contact=contact, me=me, workspace=workspace),
        )
        for saved_reply in SavedReply.objects.for_workspace(workspace)[:SAVED_REPLIES_MAX]
    ]
    routes = reach.reply_routes(conversation)
    route = reach.chosen_route(routes, conversation)
    # The member's own accounts (a reply to a post on Mastodon): offered first when
    # no channel can deliver, as after reaching out to someone known by a handle.
    own_accounts = elsewhere.routes(conversation, me) if me.can(roles.REPLY) else []
    # Which routing rule brought the customer's newest message here, and the reply it
    # drafted (offered while the customer still waits for an answer).
    routed = latest_decision(conversation)
    context = _header_context(request, conversation) | {
        "timeline": timeline,
        "last_id": max((m.pk for m in timeline), default=0),
        "contact": contact,
        "identities": list(contact.identities.all()),
        "history": history,
        # Above the timeline, oldest first: what this customer said before this one.
        "earlier": [c for c in history if c.created_at < conversation.created_at][:5][::-1],
        "saved_replies": saved,
        "signed_as": _signed_as(conversation, me, route.channel if route else None),
        # When and how they opted out of texts, for the composer's warning.
        "sms_opt_out": last_revocation(contact, ConsentTopic.SMS),
        # How a reply can reach them (issue 20): the composer's "Send by".
        "routes": routes,
        "route": route,
        "own_route": next((r for r in routes if r.channel.pk == conversation.channel_id), None),
        "compose_mode": (
            "note" if request.GET.get("compose") == "note" or not me.can(roles.REPLY) else "reply"
        ),
        "unread_count": _unread_count(me),
        "routed": routed,
        "elsewhere": own_accounts,
        "elsewhere_first": bool(own_accounts) and route is None,
        # A draft left for this member (a first-contact draft) comes before a routing
        # rule's.
        "draft": actions.draft_for(conversation, me)
        or (routed.draft if routed and conversation.waiting_since else ""),
    }
    if context["elsewhere_first"]:
        # Posted from the member's own account: no signature is added to it.
        sender = own_accounts[0].sender or me.display_name
        context["signed_as"] = {"style": "none", "name": sender, "sign_off": ""}
    # Colleagues a note can mention: active, able to read the inbox, not oneself.
    context["mention_list"] = [
        {"name": m.display_name, "initials": m.initials, "color": m.color, "title": m.title}
        for m in context["colleagues"]
        if m.can(roles.VIEW_INBOX) and m.pk != me.pk
    ]
    return render(request, "inbox/conversation.html", context)


@require_GET
@require_capability(roles.VIEW_INBOX)
def conversation_header(request: WorkspaceRequest, number: int) -> HttpResponse:
    conversation = _conversation(request, number)
    return render(
        request, "inbox/_conversation_header.html", _header_context(request, conversation)
    )


@require_GET
@require_capability(roles.VIEW_INBOX)
def timeline(request: WorkspaceRequest, number: int) -> HttpResponse:
    """Messages of a conversation (`after`: only newer ones than that message id)."""
    conversation = _conversation(request, number)
    after = request.GET.get("after", "")
    messages_ = queries.conversation_timeline(
        conversation, after=int(after) if after.isdigit() else None
    )
    if after and any(m.is_from_customer for m in messages_):
        # An open page catching up shows the member what the customer just wrote.
        actions.mark_conversation_read(conversation, member=request.membership)
    return render(
        request,
        "inbox/_messages.html",
        {"timeline": messages_, "conversation": conversation, "earlier": "earlier" in request.GET},
    )


def _message(request: WorkspaceRequest, number: int, pk: int) -> Message:
    conversation = _conversation(request, number)
    message = (
        Message.objects.filter(conversation=conversation, pk=pk)
        .select_related("author", "channel")
        .prefetch_related("attachments", "mentions")
        .first()
    )
    if message is None:
        raise Http404("No such message")
    message.conversation = conversation
    return message


@require_GET
@require_capability(roles.VIEW_INBOX)
def message_fragment(request: WorkspaceRequest, number: int, pk: int) -> HttpResponse:
    message = _message(request, number, pk)
    return render(
        request, "inbox/_message.html", {"message": message, "conversation": message.conversation}
    )


@require_GET
@require_capability(roles.VIEW_INBOX)
def attachment(request: WorkspaceRequest, pk: int) -> HttpResponseBase:
    """A message's file, for staff of its workspace only."""
    found = Attachment.objects.for_workspace(request.workspace).filter(pk=pk).first()
    if found is None or not found.file:
        raise Http404("No such file")
    inline = found.content_type in INLINE_IMAGE_TYPES
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=not inline,
        filename=found.filename,
        content_type=found.content_type if inline else "application/octet-stream",
    )
    # Belt and braces for a file whose bytes are not what its type says.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, max-age=3600"
    return response
