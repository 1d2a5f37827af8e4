"""Settings → Inbox (targets, hours, sign-off) and Settings → Saved replies.

Everyone who reads the inbox may look; admins and owners change the inbox policy;
anyone who replies writes saved replies, and changes their own (admins any).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from frontdesk.core import roles
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import Contact, Membership
from frontdesk.core.permissions import require_capability
from frontdesk.inbox import actions, service_levels
from frontdesk.inbox.actions.settings import DAY_NAMES
from frontdesk.inbox.forms import (
    InboxSettingsForm,
    SavedReplyFilterForm,
    SavedReplyForm,
)
from frontdesk.inbox.models import WEEKDAYS, InboxSettings, SavedReply
from frontdesk.inbox.templating import VARIABLE_DESCRIPTIONS, render_saved_reply, variable_errors

# The customer every preview is written to (never saved).
SAMPLE_CUSTOMER = "Ana Lopez"
SAVED_REPLIES_PER_PAGE = 50
PREVIEW_MAX_CHARS = 10_000
SAVED_REPLIES_PAGE = "inbox/settings_saved_replies.html"


# --- Settings → Inbox ------------------------------------------------------------------


def _hours_summary(settings: InboxSettings, workspace: Any) -> dict[str, Any]:
    """What the hours mean right now, in the workspace's time zone."""
    zone = service_levels.workspace_zone(workspace)
    now = timezone.now()
    local = now.astimezone(zone)
    hours = settings.business_hours
    open_now = service_levels.business_time_between(
        now, now + timedelta(minutes=1), hours=hours, zone=zone
    ) == timedelta(minutes=1)
    first_due = service_levels.business_due_at(
        now, timedelta(minutes=settings.first_response_target_minutes), hours=hours, zone=zone
    )
    offset = local.strftime("%z")
    return {
        "zone_name": str(zone),
        "zone_offset": f"UTC{offset[:3]}:{offset[3:]}",
        "local_now": local,
        "open_now": open_now,
        "first_due": first_due,
        "first_due_same_day": first_due is not None and first_due.date() == local.date(),
        "closed_days": [
            DAY_NAMES[day]
            for day in WEEKDAYS
            if isinstance(hours, dict) and hours and not hours.get(day)
        ],
    }


def _more_than_two_openings(settings: InboxSettings) -> list[str]:
    hours = settings.business_hours if isinstance(settings.business_hours, dict) else {}
    return [DAY_NAMES[day] for day in WEEKDAYS if len(hours.get(day) or []) > 2]


@require_capability(roles.VIEW_INBOX)
def inbox_settings(request: WorkspaceRequest) -> HttpResponse:
    """Service levels, opening hours and the SMS sign-off: admins edit, others read."""
    workspace, me = request.workspace, request.membership
    can_edit = me.can(roles.MANAGE_WORKSPACE)
    current = service_levels.settings_or_defaults(workspace)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only admins and owners change the inbox settings.")
        form = InboxSettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.update_inbox_settings(
                    workspace,
                    by=me,
                    first_response_target_minutes=data["first_response_target_minutes"],
                    resolution_target_minutes=data["resolution_target_minutes"],
                    business_hours=data["business_hours"],
                    sms_sign_with_first_name=data["sms_sign_with_first_name"],
                )
            except actions.InboxError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Inbox settings saved. The clocks use them from now on.")
                return redirect("inbox_settings:inbox", ws=workspace.slug)
    else:
        form = InboxSettingsForm(initial=InboxSettingsForm.initial_for(current))
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    members = Membership.objects.for_workspace(workspace).filter(is_active=True)
    context = {
        "form": form,
        "can_edit": can_edit,
        "hours": _hours_summary(current, workspace),
        "more_than_two": _more_than_two_openings(current),
        "email_alerts_on": members.filter(notify_by_email=True).count(),
        "member_count": members.count(),
        "sign_off": me.sms_sign_off.strip() or (f"– {me.first_name}" if me.first_name else ""),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "inbox/settings_inbox.html", context, status=status)


# --- Settings → Saved replies ----------------------------------------------------------


def _saved_replies(request: WorkspaceRequest, params: SavedReplyFilterForm) -> QuerySet[SavedReply]:
    found = SavedReply.objects.for_workspace(request.workspace).select_related("created_by")
    if not params.is_valid():
        return found
    text = params.cleaned_data["q"].strip()
    if text:
        found = found.filter(Q(title__icontains=text) | Q(body__icontains=text))
    if params.cleaned_data["author"] == "me":
        found = found.filter(created_by=request.membership)
    return found


def _sample(request: WorkspaceRequest, body: str) -> str:
    return render_saved_reply(
        body,
        contact=Contact(workspace=request.workspace, name=SAMPLE_CUSTOMER),
        me=request.membership,
        workspace=request.workspace,
    )


def _access_saved_reply(request: WorkspaceRequest, pk: int, *, change: bool) -> SavedReply:
    saved_reply = get_object_or_404(
        SavedReply.objects.for_workspace(request.workspace).select_related("created_by"), pk=pk
    )
    if change and not actions.can_change_saved_reply(request.membership, saved_reply):
        raise PermissionDenied("Only its author or an admin can change this saved reply.")
    return saved_reply


@require_capability(roles.VIEW_INBOX)
def saved_reply_list(request: WorkspaceRequest) -> HttpResponse:
    """Every saved reply of the workspace, searchable, each shown as a customer reads it."""
    params = SavedReplyFilterForm(request.GET)
    page = Paginator(_saved_replies(request, params), SAVED_REPLIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    me = request.membership
    rows = [
        {
            "reply": saved_reply,
            "sample": _sample(request, saved_reply.body),
            "can_change": actions.can_change_saved_reply(me, saved_reply),
            "problems": variable_errors(saved_reply.body),
        }
        for saved_reply in page
    ]
    context = {
        "page": page,
        "rows": rows,
        "params": params,
        "q": params.data.get("q", ""),
        "author": params.data.get("author", ""),
        "total": SavedReply.objects.for_workspace(request.workspace).count(),
        "can_create": me.can(roles.REPLY),
        "sample_customer": SAMPLE_CUSTOMER,
    }
    rows_only = request.htmx and not request.htmx.boosted
    template = "inbox/_settings_saved_reply_rows.html" if rows_only else SAVED_REPLIES_PAGE
    return render(request, template, context)


def _render_form(
    request: WorkspaceRequest, form: SavedReplyForm, saved_reply: SavedReply | None
) -> HttpResponse:
    body = form.data.get("body", "") if form.is_bound else form.initial.get("body", "")
    context = {
        "form": form,
        "saved_reply": saved_reply,
        "variables": VARIABLE_DESCRIPTIONS.items(),
        "sample_customer": SAMPLE_CUSTOMER,
        "preview": _sample(request, body[:PREVIEW_MAX_CHARS]),
        "problems": variable_errors(body),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "inbox/settings_saved_reply_form.html", context, status=status)


def _save(request: WorkspaceRequest, form: SavedReplyForm, saved_reply: SavedReply | None) -> bool:
    """Create or update through the actions; False (with form errors) when refused."""
    data = form.cleaned_data
    try:
        if saved_reply is None:
            actions.create_saved_reply(
                request.workspace, title=data["title"], body=data["body"], by=request.membership
            )
        else:
            actions.update_saved_reply(
                saved_reply, title=data["title"], body=data["body"], by=request.membership
            )
    except actions.SavedReplyInvalid as exc:
        for field, problems in exc.errors.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        return False
    return True


@require_capability(roles.REPLY)
def saved_reply_create(request: WorkspaceRequest) -> HttpResponse:
    form = SavedReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _save(request, form, None):
        messages.success(
            request, f"“{form.cleaned_data['title']}” saved. It is in everyone’s composer now."
        )
        return redirect("inbox_settings:saved-replies", ws=request.workspace.slug)
    return _render_form(request, form, None)


@require_capability(roles.REPLY)
def saved_reply_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    saved_reply = _access_saved_reply(request, pk, change=True)
    form = SavedReplyForm(
        request.POST or None, initial={"title": saved_reply.title, "body": saved_reply.body}
    )
    if request.method == "POST" and form.is_valid() and _save(request, form, saved_reply):
        messages.success(request, f"“{saved_reply.title}” updated.")
        return redirect("inbox_settings:saved-replies", ws=request.workspace.slug)
    return _render_form(request, form, saved_reply)


@require_POST
@require_capability(roles.REPLY)
def saved_reply_delete(request: WorkspaceRequest, pk: int) -> HttpResponse:
    saved_reply = _access_saved_reply(request, pk, change=True)
    actions.delete_saved_reply(saved_reply, by=request.membership)
    messages.success(request, f"“{saved_reply.title}” deleted.")
    return redirect("inbox_settings:saved-replies", ws=request.workspace.slug)


@require_POST
@require_capability(roles.REPLY)
def saved_reply_preview(request: WorkspaceRequest) -> HttpResponse:
    """The typed text as the sample customer would read it, and its problems (htmx)."""
    body = request.POST.get("body", "")[:PREVIEW_MAX_CHARS]
    context = {
        "preview": _sample(request, body),
        "problems": variable_errors(body),
        "sample_customer": SAMPLE_CUSTOMER,
    }
    return render(request, "inbox/_settings_saved_reply_preview.html", context)
