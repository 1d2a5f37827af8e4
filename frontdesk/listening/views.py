"""Listening's pages: parse, authorise, call one action, render a page or fragment."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from frontdesk.core import roles
from frontdesk.core.errors import ActionError
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.permissions import require_capability
from frontdesk.listening import actions, queries
from frontdesk.listening.forms import SocialAccountForm, SourceForm, WatchForm
from frontdesk.listening.models import (
    Mention,
    MentionStatus,
    SocialAccount,
    Source,
    SourceKind,
    Watch,
)
from frontdesk.triage import priority

SENTIMENTS = [
    ("", "Any mood"),
    ("negative", "Unhappy"),
    ("reply", "Needs a reply"),
    ("neutral", "Neutral"),
    ("positive", "Happy"),
]
STATUSES = [
    ("", "Any status"),
    ("open", "To look at"),
    *MentionStatus.choices,
    ("removed", "Removed by the network"),
]


ORDERS = [("newest", "Newest first"), ("attention", "Priority first")]


def _rows(request: WorkspaceRequest, mentions: list[Mention]) -> list[dict[str, Any]]:
    compiled = queries.compiled(request.workspace)
    mine = actions.accounts_of(request.membership) if request.membership else {}
    now = timezone.now()
    return [
        {
            "m": m,
            "hl": queries.highlighted(m, compiled),
            "rank": priority.for_mention(m, now),
            "own": mine.get(m.source.kind),
        }
        for m in mentions
    ]


@require_GET
@require_capability(roles.VIEW_INBOX)
def mention_list(request: WorkspaceRequest) -> HttpResponse:
    """Who said what, where, how they feel, and what to do: newest first, or by
    the explained priority score ("Priority first")."""
    filters = queries.MentionFilters.from_query(request.GET.dict())
    rows = _rows(request, queries.mentions(request.workspace, filters))
    context = {
        "rows": rows,
        "filters": filters,
        "watches": list(Watch.objects.for_workspace(request.workspace)),
        "sources_count": Source.objects.for_workspace(request.workspace).count(),
        "failing": Source.objects.for_workspace(request.workspace).filter(failures__gt=0).count(),
        "sentiments": SENTIMENTS,
        "statuses": STATUSES,
        "orders": ORDERS,
    }
    template = "listening/_mention_rows.html" if request.htmx else "listening/mentions.html"
    return render(request, template, context)


def _row_response(request: WorkspaceRequest, mention: Mention) -> HttpResponse:
    mention = queries.access_mention(request.workspace, mention.pk)
    return render(request, "listening/_mention.html", {"row": _rows(request, [mention])[0]})


@require_POST
@require_capability(roles.REPLY)
def mention_status(request: WorkspaceRequest, pk: int) -> HttpResponse:
    mention = queries.access_mention(request.workspace, pk)
    actions.set_mention_status(mention, request.POST.get("status", ""), by=request.membership)
    if request.htmx:
        return _row_response(request, mention)
    return redirect("listening:index", ws=request.workspace.slug)


@require_POST
@require_capability(roles.REPLY)
def mention_reach_out(request: WorkspaceRequest, pk: int) -> HttpResponse:
    mention = queries.access_mention(request.workspace, pk)
    conversation = actions.reach_out(mention, by=request.membership)
    url = reverse(
        "inbox:conversation", kwargs={"ws": request.workspace.slug, "number": conversation.number}
    )
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# --- watches ----------------------------------------------------------------------------


@require_GET
@require_capability(roles.VIEW_INBOX)
def watch_list(request: WorkspaceRequest) -> HttpResponse:
    watches = Watch.objects.for_workspace(request.workspace)
    rows = [
        {"watch": w, "count": w.mentions.count(), "suggestions": queries.suggested_exclusions(w)}
        for w in watches
    ]
    return render(request, "listening/watches.html", {"rows": rows})


def _watch_form(request: WorkspaceRequest, watch: Watch | None) -> HttpResponse:
    if watch is None:
        form = WatchForm(request.POST or None)
    else:
        form = WatchForm.for_watch(watch, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if watch is None:
                watch = actions.create_watch(
                    request.workspace, form.settings(), by=request.membership
                )
                messages.success(request, f"Watching for “{watch.name}”.")
            else:
                actions.update_watch(watch, form.settings(), by=request.membership)
                messages.success(request, "Saved.")
        except actions.ListeningError as error:
            form.add_error(error.field, error.message)
        else:
            return redirect("listening:watches", ws=request.workspace.slug)
    query = form["query"].value() or ""
    context = {
        "form": form,
        "watch": watch,
        "preview": queries.preview(request.workspace, query) if query.strip() else None,
        "suggestions": queries.suggested_exclusions(watch) if watch else [],
    }
    return render(request, "listening/watch_form.html", context)


@require_capability(roles.REPLY)
def watch_create(request: WorkspaceRequest) -> HttpResponse:
    return _watch_form(request, None)


@require_capability(roles.REPLY)
def watch_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    return _watch_form(request, queries.access_watch(request.workspace, pk))


@require_POST
@require_capability(roles.VIEW_INBOX)
def watch_preview(request: WorkspaceRequest) -> HttpResponse:
    """The live preview beside the query while it is typed (htmx)."""
    text = request.POST.get("query", "")
    return render(
        request,
        "listening/_preview.html",
        {"preview": queries.preview(request.workspace, text) if text.strip() else None},
    )


@require_POST
@require_capability(roles.REPLY)
def watch_delete(request: WorkspaceRequest, pk: int) -> HttpResponse:
    watch = queries.access_watch(request.workspace, pk)
    actions.delete_watch(watch, by=request.membership)
    messages.success(request, f"“{watch.name}” deleted.")
    return redirect("listening:watches", ws=request.workspace.slug)


@require_POST
@require_capability(roles.REPLY)
def watch_exclude(request: WorkspaceRequest, pk: int) -> HttpResponse:
    watch = queries.access_watch(request.workspace, pk)
    word = request.POST.get("word", "")
    actions.add_exclusion(watch, word, by=request.membership)
    messages.success(request, f"Posts with “{word}” are left out of “{watch.name}” from now on.")
    if request.POST.get("next") == "edit":
        return redirect("listening:watch-edit", ws=request.workspace.slug, pk=watch.pk)
    return redirect("listening:watches", ws=request.workspace.slug)


# --- sources ----------------------------------------------------------------------------


@require_GET
@require_capability(roles.VIEW_INBOX)
def source_list(request: WorkspaceRequest) -> HttpResponse:
    sources = Source.objects.for_workspace(request.workspace)
    return render(request, "listening/sources.html", {"sources": sources, "now": timezone.now()})


def _source_form(request: WorkspaceRequest, source: Source | None) -> HttpResponse:
    if source is None:
        form = SourceForm(request.POST or None, initial={"kind": request.GET.get("kind", "feed")})
    else:
        form = SourceForm.for_source(source, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if source is None:
                source = actions.create_source(
                    request.workspace, form.settings(), by=request.membership
                )
                messages.success(request, f"Added {source.label}: it is checked within a minute.")
            else:
                actions.update_source(source, form.settings(), by=request.membership)
                messages.success(request, "Saved.")
        except ActionError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect("listening:sources", ws=request.workspace.slug)
    return render(
        request,
        "listening/source_form.html",
        {"form": form, "source": source, "kinds": SourceKind.choices},
    )


@require_capability(roles.MANAGE_CHANNELS)
def source_create(request: WorkspaceRequest) -> HttpResponse:
    return _source_form(request, None)


@require_capability(roles.MANAGE_CHANNELS)
def source_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    return _source_form(request, queries.access_source(request.workspace, pk))


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def source_poll(request: WorkspaceRequest, pk: int) -> HttpResponse:
    source = queries.access_source(request.workspace, pk)
    actions.poll_soon(source, by=request.membership)
    messages.success(request, f"{source.label} is checked within a minute.")
    return redirect("listening:sources", ws=request.workspace.slug)


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def source_delete(request: WorkspaceRequest, pk: int) -> HttpResponse:
    source = queries.access_source(request.workspace, pk)
    actions.delete_source(source, by=request.membership)
    messages.success(request, f"{source.label} removed.")
    return redirect("listening:sources", ws=request.workspace.slug)


# --- the member's own accounts (to reply to posts as themselves) -----------------------


@require_capability(roles.REPLY)
def my_accounts(request: WorkspaceRequest) -> HttpResponse:
    """Connect one's own Mastodon or Bluesky account; only its owner posts with it."""
    form = SocialAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = actions.connect_account(
                network=data["network"],
                server=data["server"],
                handle=data["handle"],
                secret=data["secret"],
                by=request.membership,
            )
        except actions.ListeningError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request, f"Connected {account.handle} on {account.get_network_display()}."
            )
            return redirect("listening:accounts", ws=request.workspace.slug)
    accounts = SocialAccount.objects.for_workspace(request.workspace).filter(
        membership=request.membership
    )
    return render(request, "listening/accounts.html", {"form": form, "accounts": accounts})


@require_POST
@require_capability(roles.REPLY)
def my_account_disconnect(request: WorkspaceRequest, pk: int) -> HttpResponse:
    account = (
        SocialAccount.objects.for_workspace(request.workspace)
        .filter(membership=request.membership, pk=pk)
        .first()
    )
    if account is None:
        raise Http404("No such account")
    actions.disconnect_account(account, by=request.membership)
    messages.success(request, f"{account.handle} is no longer connected.")
    return redirect("listening:accounts", ws=request.workspace.slug)
