"""The list, its sidebar and rows, bulk changes, notifications and search."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from frontdesk.core import roles
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.permissions import require_capability
from frontdesk.inbox import actions, queries
from frontdesk.inbox import search as inbox_search
from frontdesk.inbox.forms import (
    BulkForm,
)
from frontdesk.inbox.models import (
    Channel,
    Conversation,
    Tag,
)
from frontdesk.inbox.views.common import (
    PAGE_SIZE,
    ListParams,
    _colleagues,
    _conversation,
    _htmx_error,
    _member_from,
    _rows,
    _toast,
    _unread_count,
    _webform_url,
    _with_contacts,
    channel_icon,
    short_when,
)

# --- The list ----------------------------------------------------------------------------


class BadRequest(Exception):
    """A request the list cannot serve (a stale cursor); answered with 400."""


def _list_context(request: WorkspaceRequest, params: ListParams) -> dict[str, Any]:
    workspace, member = request.workspace, request.membership
    try:
        page = queries.inbox_page(
            workspace,
            member=member,
            before=params.cursor or None,
            limit=PAGE_SIZE,
            order=params.order,
            **params.query_kwargs(),
        )
    except queries.BadCursor as exc:
        raise BadRequest(str(exc)) from None
    queries.mark_unread(member, page.rows)  # bold rows: one query for the page
    list_url = reverse("inbox:list", kwargs={"ws": workspace.slug})
    flipped = "recent" if params.order == "attention" else "attention"
    return {
        "params": params,
        "list_url": list_url,
        "sort_url": params.url(list_url, order=flipped),
        "rows": _rows(workspace, page.rows, params),
        "next_cursor": page.next_cursor,
        "next_url": params.url(list_url, cursor=page.next_cursor) if page.next_cursor else "",
        "colleagues": [m for m in _colleagues(workspace) if m.can(roles.REPLY)],
    }


@require_GET
@require_capability(roles.VIEW_INBOX)
def inbox_list(request: WorkspaceRequest) -> HttpResponse:
    """The list: filters, conversations people need first, the open one on wide screens."""
    params = ListParams.from_request(request)
    fragment = request.GET.get("fragment") if request.htmx else None
    if fragment == "row":
        # One conversation that moved to the top (a page's live update): `number`
        # comes from the event, the URL from the page's template.
        number = request.GET.get("number", "")
        if not number.isdigit():
            return HttpResponseBadRequest("Which conversation?")
        return _row(request, int(number), params)
    try:
        context = _list_context(request, params)
    except BadRequest as exc:
        return HttpResponseBadRequest(str(exc))
    if fragment == "rows":
        return render(request, "inbox/_rows.html", context)
    if fragment == "column":
        return render(request, "inbox/_list_column.html", context)
    context |= _sidebar_context(request, params)
    if not context["rows"] and not params.cursor:
        context["inbox_is_new"] = not Conversation.objects.for_workspace(request.workspace).exists()
        context["webform_url"] = _webform_url(request.workspace)
    return render(request, "inbox/list.html", context)


@dataclass(frozen=True)
class FilterLink:
    label: str
    url: str
    active: bool
    icon: str = ""
    count: int | None = None


def _filter_links(
    list_url: str,
    params: ListParams,
    counts: dict[str, int],
    channels: list[Channel],
    tags: list[Tag],
) -> dict[str, list[FilterLink]]:
    """The sidebar's links; each keeps the other filters and toggles its own."""

    def link(label: str, active: bool, icon: str = "", count: int | None = None, **change: Any):
        return FilterLink(label, params.url(list_url, **change), active, icon, count)

    return {
        "views": [
            link("Mine", params.view == "mine", "user", counts["mine"], view="mine"),
            link(
                "Unassigned",
                params.view == "unassigned",
                "inbox",
                counts["unassigned"],
                view="unassigned",
            ),
            link("Everyone’s", params.view == "all", "users", counts["open"], view="all"),
        ],
        # A toggle on top of the view: what the customer wrote since I last looked.
        "unread": link("Unread", params.unread, "unread", unread=None if params.unread else "1"),
        "statuses": [
            link("Open", params.status == "open", "open", counts["open"], status="open"),
            link(
                "Pending",
                params.status == "pending",
                "pending",
                counts["pending"],
                status="pending",
            ),
            link(
                "Snoozed",
                params.status == "snoozed",
                "snoozed",
                counts["snoozed"],
                status="snoozed",
            ),
            link("Resolved", params.status == "resolved", "resolved", status="resolved"),
            link("Any status", params.status == "any", "any", status="any"),
        ],
        "channels": [
            link(
                c.name,
                params.channel == c.pk,
                channel_icon(c),
                channel=None if params.channel == c.pk else c.pk,
            )
            for c in channels
        ],
        "sentiments": [
            link(
                label,
                params.sentiment == value,
                icon,
                sentiment=None if params.sentiment == value else value,
            )
            for value, label, icon in (
                ("negative", "Unhappy", "frown"),
                ("neutral", "Neutral", "meh"),
                ("positive", "Happy", "smile"),
            )
        ],
        "tags": [
            link(
                t.name,
                params.tag.lower() == t.name.lower(),
                "tag",
                tag=None if params.tag.lower() == t.name.lower() else t.name,
            )
            for t in tags
        ],
    }


def _sidebar_context(request: WorkspaceRequest, params: ListParams) -> dict[str, Any]:
    workspace = request.workspace
    counts = queries.sidebar_counts(workspace, request.membership)
    channels = list(Channel.objects.for_workspace(workspace).order_by("name", "pk"))
    tags = list(Tag.objects.for_workspace(workspace).order_by("name")[:50])
    list_url = reverse("inbox:list", kwargs={"ws": workspace.slug})
    return {
        "params": params,
        "counts": counts,
        "unread_count": counts["unread"],
        "links": _filter_links(list_url, params, counts, channels, tags),
    }


@require_GET
@require_capability(roles.VIEW_INBOX)
def sidebar(request: WorkspaceRequest) -> HttpResponse:
    """The filter sidebar with fresh counts (an open list refreshes it on live updates)."""
    params = ListParams.from_request(request)
    return render(request, "inbox/_filters.html", _sidebar_context(request, params))


def _row(request: WorkspaceRequest, number: int, params: ListParams) -> HttpResponse:
    """One list row, or 204 when the conversation no longer belongs in that list."""
    conversation = _conversation(request, number)
    if not queries.matches_filters(
        conversation, member=request.membership, **params.query_kwargs()
    ):
        return HttpResponse(status=204)
    queries.mark_unread(request.membership, [conversation])
    [row] = _rows(request.workspace, [conversation], params)
    return HttpResponse(row.html)


@require_GET
@require_capability(roles.VIEW_INBOX)
def conversation_row(request: WorkspaceRequest, number: int) -> HttpResponse:
    """One list row, or 204 when the conversation no longer belongs in that list."""
    return _row(request, number, ListParams.from_request(request))


@require_POST
@require_capability(roles.REPLY)
def bulk(request: WorkspaceRequest) -> HttpResponse:
    """Assign, resolve or tag several conversations of the list at once."""
    data = request.POST.copy()
    data["numbers"] = ",".join(request.POST.getlist("numbers"))
    form = BulkForm(data)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    back = back or reverse("inbox:list", kwargs={"ws": request.workspace.slug})
    if not form.is_valid():
        text = " ".join(str(e) for errors in form.errors.values() for e in errors)
        if request.htmx:
            return _htmx_error(request, text)
        messages.error(request, text)
        return redirect(back)
    me, cleaned = request.membership, form.cleaned_data
    conversations = list(
        Conversation.objects.for_workspace(request.workspace)
        .filter(number__in=cleaned["numbers"])
        .select_related("workspace", "channel", "contact")
        .order_by("number")
    )
    assignee = None
    if cleaned["action"] == "assign":
        assignee = _member_from(request.workspace, cleaned["assignee"], me)
    waiting = [c for c in conversations if c.is_waiting and c.status != "resolved"]
    if cleaned["action"] == "resolve" and waiting:
        # As on the conversation page: resolving someone still waiting asks first.
        return _confirm_bulk_resolve(request, conversations, waiting, back)
    done, problems = 0, []
    for conversation in conversations:
        try:
            if cleaned["action"] == "assign":
                actions.assign_conversation(conversation, assignee=assignee, by=me)
            elif cleaned["action"] in ("resolve", "resolve_anyway"):
                actions.resolve_conversation(conversation, by=me)
            else:
                actions.add_tag(conversation, name=cleaned["tag"], by=me)
        except actions.InboxError as exc:
            problems.append(f"{conversation.number}: {exc}")
        else:
            done += 1
    verb = {
        "assign": "Assigned",
        "resolve": "Resolved",
        "resolve_anyway": "Resolved",
        "tag": "Tagged",
    }[cleaned["action"]]
    text = f"{verb} {done} conversation{'s' if done != 1 else ''}."
    if problems:
        text += " Not changed: " + "; ".join(problems)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Trigger"] = json.dumps(
            {
                "inbox:toast": {"text": text},
                "inbox:bulk-done": {"numbers": [c.number for c in conversations]},
            }
        )
        return response
    (messages.warning if problems else messages.success)(request, text)
    return redirect(back)


def _confirm_bulk_resolve(
    request: WorkspaceRequest,
    conversations: list[Conversation],
    waiting: list[Conversation],
    back: str,
) -> HttpResponse:
    """Nothing resolved yet: ask whether to resolve although `waiting` still wait."""
    names = [c.contact.display_name for c in waiting]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    one = len(waiting) == 1
    question = (
        f"{shown} {'is' if one else 'are'} still waiting for a reply. "
        f"Resolve {'it' if len(conversations) == 1 else 'them'} anyway?"
    )
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Trigger"] = json.dumps(
            {
                "inbox:bulk-confirm": {
                    "text": question,
                    "numbers": [c.number for c in conversations],
                }
            }
        )
        return response
    return render(
        request,
        "inbox/bulk_confirm.html",
        {
            "question": question,
            "numbers": [c.number for c in conversations],
            "back": back,
        },
    )


# --- Notifications and search ------------------------------------------------------------


@require_GET
@require_capability(roles.VIEW_INBOX)
def notifications(request: WorkspaceRequest) -> HttpResponse:
    """The bell's dropdown: the member's unread notifications, newest first."""
    found = queries.unread_notifications(request.membership, limit=20)
    _with_contacts([n.conversation for n in found])
    return render(request, "inbox/_notifications.html", {"notifications": found})


@require_POST
@require_capability(roles.VIEW_INBOX)
def notifications_read(request: WorkspaceRequest) -> HttpResponse:
    actions.mark_notifications_read(request.membership)
    if request.htmx:
        return _toast(
            render(request, "inbox/_notifications.html", {"notifications": []}), "All read"
        )
    return redirect("inbox:list", ws=request.workspace.slug)


def _headline(hit: inbox_search.SearchHit) -> str:
    """The conversation's subject, unless it only repeats the start of the snippet
    (a web form's subject is the message's first words)."""
    subject = hit.conversation.subject.strip()
    core = " ".join(subject.rstrip("…").split())
    return "" if core and core in " ".join(hit.snippet.split()) else subject


@require_GET
@require_capability(roles.VIEW_INBOX)
def search(request: WorkspaceRequest) -> HttpResponse:
    """Conversations whose messages or customer match, newest first, with the match."""
    text = request.GET.get("q", "").strip()[:200]
    hits = inbox_search.search_conversations(request.workspace, text, limit=30) if text else []
    _with_contacts([hit.conversation for hit in hits])
    now = timezone.now()
    results = [
        (hit, short_when(hit.conversation.last_message_at, now), _headline(hit)) for hit in hits
    ]
    context = {"q": text, "results": results, "params": ListParams()}
    if request.htmx and request.GET.get("fragment") == "results":
        return render(request, "inbox/_search_results.html", context)
    context["unread_count"] = _unread_count(request.membership)
    return render(request, "inbox/search.html", context)
