"""Changing a conversation from its page: each form calls one action."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from frontdesk.core import roles
from frontdesk.core.http import WorkspaceRequest, parse_id
from frontdesk.core.permissions import require_capability
from frontdesk.inbox import actions, elsewhere, queries, service_levels
from frontdesk.inbox.forms import (
    AssignForm,
    ComposeForm,
    PriorityForm,
    SnoozeForm,
    TagForm,
)
from frontdesk.inbox.models import (
    Channel,
    Conversation,
    Priority,
    Team,
)
from frontdesk.inbox.views.common import (
    ListParams,
    _conversation,
    _conversation_url,
    _htmx_error,
    _member_from,
    _toast,
)
from frontdesk.inbox.views.conversation import _header_context, _message


def _done(
    request: WorkspaceRequest, conversation: Conversation, text: str, *, error: bool = False
) -> HttpResponse:
    """After a header action: the fresh header for htmx, else back to the page."""
    if request.htmx:
        response = render(
            request, "inbox/_conversation_header.html", _header_context(request, conversation)
        )
        if error:
            response.status_code = 422
        return _toast(response, text)
    (messages.error if error else messages.success)(request, text)
    return redirect(_conversation_url(conversation, ListParams.from_request(request)))


def _act(
    request: WorkspaceRequest, conversation: Conversation, change: Any, text: str
) -> HttpResponse:
    try:
        change()
    except actions.InboxError as exc:
        return _done(request, conversation, str(exc), error=True)
    return _done(request, conversation, text)


def _compose(request: WorkspaceRequest, number: int, mode: str) -> HttpResponse:
    conversation = _conversation(request, number)
    form = ComposeForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Malformed message.")
    if form.cleaned_data["mode"] and form.cleaned_data["mode"] != mode:
        # The page asked for a note but reached the reply URL (or the reverse): refuse
        # rather than send staff talk to a customer.
        return HttpResponseBadRequest("The composer's mode does not match; nothing was sent.")
    body = form.cleaned_data["body"]
    done = "Reply queued" if mode == "reply" else "Note added"
    try:
        if mode == "reply":
            files = request.FILES.getlist("files")
            way = form.cleaned_data["channel"]
            if isinstance(way, str):  # from the member's own account on a network
                if files:
                    raise actions.InboxError("Files can’t be posted this way: send the text alone.")
                elsewhere.send(
                    conversation,
                    way,
                    body=body,
                    choice=form.cleaned_data["choice"],
                    by=request.membership,
                )
                done = "Reply posted"
            else:
                channel = None
                if way:
                    channel = get_object_or_404(
                        Channel.objects.for_workspace(request.workspace), pk=way
                    )
                actions.send_reply(
                    conversation,
                    body=body,
                    by=request.membership,
                    attachments=files,
                    channel=channel,
                )
        else:
            actions.add_note(conversation, body=body, by=request.membership)
    except actions.InboxError as exc:
        if request.htmx:
            return _htmx_error(request, str(exc))
        messages.error(request, str(exc))
        return redirect(_conversation_url(conversation))
    if request.htmx:
        after = form.cleaned_data["after"]
        timeline = queries.conversation_timeline(conversation, after=after)
        response = render(
            request, "inbox/_messages.html", {"timeline": timeline, "conversation": conversation}
        )
        return _toast(response, done)
    messages.success(request, f"{done}.")
    return redirect(_conversation_url(conversation))


@require_POST
@require_capability(roles.REPLY)
def reply(request: WorkspaceRequest, number: int) -> HttpResponse:
    return _compose(request, number, "reply")


@require_POST
@require_capability(roles.VIEW_INBOX)
def note(request: WorkspaceRequest, number: int) -> HttpResponse:
    return _compose(request, number, "note")


@require_POST
@require_capability(roles.REPLY)
def correct_triage(request: WorkspaceRequest, number: int, pk: int) -> HttpResponse:
    """One click on a customer's message: its sentiment or urgency as a person sees it."""
    message = _message(request, number, pk)
    kind, label = request.POST.get("kind", ""), request.POST.get("label", "")
    try:
        actions.correct_triage(message, kind=kind, label=label, by=request.membership)
    except actions.InboxError as exc:
        if request.htmx:
            return _htmx_error(request, str(exc))
        messages.error(request, str(exc))
        return redirect(_conversation_url(message.conversation))
    if request.htmx:
        response = render(
            request,
            "inbox/_message.html",
            {"message": _message(request, number, pk), "conversation": message.conversation},
        )
        return _toast(response, f"Marked {label}")
    messages.success(request, f"Marked {label}.")
    return redirect(_conversation_url(message.conversation))


@require_POST
@require_capability(roles.REPLY)
def retry(request: WorkspaceRequest, number: int, pk: int) -> HttpResponse:
    message = _message(request, number, pk)
    try:
        actions.retry_delivery(message, by=request.membership)
    except actions.InboxError as exc:
        if request.htmx:
            return _htmx_error(request, str(exc))
        messages.error(request, str(exc))
        return redirect(_conversation_url(message.conversation))
    if request.htmx:
        response = render(
            request,
            "inbox/_message.html",
            {"message": _message(request, number, pk), "conversation": message.conversation},
        )
        return _toast(response, "Sending again")
    messages.success(request, "Sending again.")
    return redirect(_conversation_url(message.conversation))


@require_POST
@require_capability(roles.REPLY)
def assign(request: WorkspaceRequest, number: int) -> HttpResponse:
    conversation = _conversation(request, number)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _done(request, conversation, "Choose a colleague or a team.", error=True)
    me, data = request.membership, form.cleaned_data
    if data["team"]:
        team = None
        if data["team"] != "none":
            team = (
                Team.objects.for_workspace(request.workspace)
                .filter(pk=parse_id(data["team"]) or 0)
                .first()
            )
            if team is None:
                raise Http404("No such team")
        return _act(
            request,
            conversation,
            lambda: actions.assign_team(conversation, team=team, by=me),
            f"Routed to {team.name}" if team else "Team removed",
        )
    assignee = _member_from(request.workspace, data["assignee"], me)
    if assignee is None:
        text = "Unassigned"
    elif assignee.pk == me.pk:
        text = "Assigned to you"
    else:
        text = f"Assigned to {assignee.display_name}"
    return _act(
        request,
        conversation,
        lambda: actions.assign_conversation(conversation, assignee=assignee, by=me),
        text,
    )


@require_POST
@require_capability(roles.REPLY)
def snooze(request: WorkspaceRequest, number: int) -> HttpResponse:
    conversation = _conversation(request, number)
    form = SnoozeForm(request.POST, zone=service_levels.workspace_zone(request.workspace))
    if not form.is_valid():
        text = " ".join(str(e) for e in form.non_field_errors()) or "Pick when it should come back."
        return _done(request, conversation, text, error=True)
    until = form.cleaned_data["when"]
    label = timezone.localtime(until).strftime("%a %d %b, %H:%M")
    return _act(
        request,
        conversation,
        lambda: actions.snooze_conversation(conversation, until=until, by=request.membership),
        f"Snoozed until {label}",
    )


@require_POST
@require_capability(roles.REPLY)
def resolve(request: WorkspaceRequest, number: int) -> HttpResponse:
    conversation = _conversation(request, number)
    return _act(
        request,
        conversation,
        lambda: actions.resolve_conversation(conversation, by=request.membership),
        "Resolved",
    )


@require_POST
@require_capability(roles.REPLY)
def pending(request: WorkspaceRequest, number: int) -> HttpResponse:
    conversation = _conversation(request, number)
    return _act(
        request,
        conversation,
        lambda: actions.mark_pending(conversation, by=request.membership),
        "Pending",
    )


@require_POST
@require_capability(roles.REPLY)
def reopen(request: WorkspaceRequest, number: int) -> HttpResponse:
    conversation = _conversation(request, number)
    return _act(
        request,
        conversation,
        lambda: actions.reopen_conversation(conversation, by=request.membership),
        "Reopened",
    )


@require_POST
@require_capability(roles.REPLY)
def priority(request: WorkspaceRequest, number: int) -> HttpResponse:
    conversation = _conversation(request, number)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _done(request, conversation, "Choose a priority.", error=True)
    value = form.cleaned_data["priority"]
    return _act(
        request,
        conversation,
        lambda: actions.set_priority(conversation, priority=value, by=request.membership),
        f"Priority: {Priority(value).label}",
    )


@require_POST
@require_capability(roles.REPLY)
def tag(request: WorkspaceRequest, number: int) -> HttpResponse:
    conversation = _conversation(request, number)
    form = TagForm(request.POST)
    if not form.is_valid():
        return _done(request, conversation, "Name the tag (up to 50 characters).", error=True)
    name = form.cleaned_data["name"]
    return _act(
        request,
        conversation,
        lambda: actions.add_tag(conversation, name=name, by=request.membership),
        f"Tagged “{name.strip()}”",
    )


@require_POST
@require_capability(roles.REPLY)
def untag(request: WorkspaceRequest, number: int) -> HttpResponse:
    conversation = _conversation(request, number)
    form = TagForm(request.POST)
    if not form.is_valid():
        return _done(request, conversation, "Which tag?", error=True)
    name = form.cleaned_data["name"]
    return _act(
        request,
        conversation,
        lambda: actions.remove_tag(conversation, name=name, by=request.membership),
        f"Removed “{name.strip()}”",
    )
