"""What the inbox pages share: list filters, rows, lookups, small responses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import prefetch_related_objects
from django.http import (
    Http404,
    HttpResponse,
)
from django.shortcuts import render
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from frontdesk.core.http import WorkspaceRequest, parse_id
from frontdesk.core.models import Membership
from frontdesk.inbox import queries, service_levels
from frontdesk.inbox.forms import (
    ListFilterForm,
)
from frontdesk.inbox.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Message,
    MessageKind,
    Notification,
)
from frontdesk.inbox.templatetags.inbox_tags import avatar_markup, initial
from frontdesk.inbox.templatetags.inbox_tags import icon as icon_markup
from frontdesk.triage import priority

PAGE_SIZE = 40
SAVED_REPLIES_MAX = 200
# Raster images a browser shows inline; anything else (SVG and HTML included, which
# could run script on our origin) is served as a download.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
CHANNEL_ICONS = {"webform": "globe", "sms": "phone", "email": "mail"}


# --- Helpers ---------------------------------------------------------------------------


def short_when(moment: datetime | None, now: datetime) -> str:
    """A list's compact time: now, 5m, 3h, 2d, 12 Mar (inbox/times.js keeps it current)."""
    if moment is None:
        return ""
    seconds = max(0, (now - moment).total_seconds())
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)}d"
    local = timezone.localtime(moment)
    if local.year == timezone.localtime(now).year:
        return f"{local.day} {local:%b}"
    return f"{local.day} {local:%b %Y}"


def channel_icon(channel: Channel) -> str:
    return CHANNEL_ICONS.get(channel.kind, "at")


@dataclass(frozen=True)
class ListParams:
    """The list's filters as the page and its links carry them."""

    view: str = "all"
    status: str = ConversationStatus.OPEN
    channel: int | None = None
    tag: str = ""
    sentiment: str = ""
    order: str = "attention"
    cursor: str = ""
    unread: bool = False  # only what the member has not read since the customer wrote

    @classmethod
    def from_request(cls, request: WorkspaceRequest) -> ListParams:
        form = ListFilterForm(request.GET)
        form.is_valid()  # invalid fields are dropped from cleaned_data: defaults apply
        data = form.cleaned_data
        return cls(
            view=data.get("view") or "all",
            status=data.get("status") or ConversationStatus.OPEN,
            channel=data.get("channel"),
            tag=(data.get("tag") or "").strip(),
            sentiment=data.get("sentiment") or "",
            order=data.get("order") or "attention",
            cursor=data.get("cursor") or "",
            unread=bool(data.get("unread")),
        )

    def query_kwargs(self) -> dict[str, Any]:
        return {
            "filter": self.view,
            "status": None if self.status == "any" else self.status,
            "channel": self.channel,
            "tag": self.tag or None,
            "sentiment": self.sentiment or None,
            "unread": self.unread,
        }

    def values(self) -> dict[str, str]:
        """The non-default filters, for links (without the cursor)."""
        defaults = ListParams()
        found = {}
        for name in ("view", "status", "channel", "tag", "sentiment", "order"):
            value = getattr(self, name)
            if value and value != getattr(defaults, name):
                found[name] = str(value)
        if self.unread:
            found["unread"] = "1"
        return found

    @property
    def query(self) -> str:
        return urlencode(self.values())

    def with_(self, **changes: Any) -> str:
        """The query string of this list with some filters changed (None removes)."""
        values = self.values()
        for name, value in changes.items():
            if value is None or value == "":
                values.pop(name, None)
            else:
                values[name] = str(value)
        defaults = ListParams()
        values = {k: v for k, v in values.items() if v != str(getattr(defaults, k))}
        return urlencode(values)

    def url(self, list_url: str, **changes: Any) -> str:
        query = self.with_(**changes)
        return f"{list_url}?{query}" if query else list_url

    @property
    def orderable(self) -> bool:
        """Whether this list can sort people who need someone first (see queries)."""
        return self.status in queries.ATTENTION_STATUSES

    @property
    def title(self) -> str:
        names = {"mine": "Mine", "unassigned": "Unassigned", "all": "Everyone’s"}
        status = "any status" if self.status == "any" else self.status
        return f"{names[self.view]} · {status}" + (" · unread" if self.unread else "")


@dataclass(frozen=True)
class Row:
    """One conversation as the list shows it (inbox/_row.html), its display values
    worked out by _rows for the whole page at once: one URL pattern, each colleague's
    avatar drawn once, times without `date` filters. A template's per-row lookups,
    filters, includes and `{% url %}` cost ~1.5 ms a row (benchmarks/README.md), so
    the row template only reads these plain values."""

    conversation: Conversation
    last: Message | None
    sla: str
    when: str
    url: str = ""
    row_url: str = ""  # this row alone, for a page to redraw it (inbox:conversation-row)
    name: str = ""
    iso: str = ""
    title: str = ""
    status_label: str = ""
    tags: tuple[str, ...] = ()
    assignee: str = ""  # the assignee's avatar markup
    team: str = ""
    unread: bool = False
    waiting: bool = False
    reply_failed: bool = False  # the newest reply a person wrote was not delivered
    channel: str = ""
    channel_icon: str = ""  # markup
    initial: str = ""
    number: str = ""  # as the page writes it (a str: no localize per use)
    status: str = ""
    priority: str = ""
    unhappy: bool = False
    replied_by: str = ""
    snippet: str = ""
    sender: str = ""  # “Short code” / “Sender ID”: a one-way sender, labelled
    score: str = ""  # the explained priority score (triage/priority.py), when above 0
    why: str = ""

    def __getitem__(self, name: str) -> Any:
        # The template reads `row.name`: Django tries `row["name"]` first, and the
        # TypeError a dataclass raises there costs more than the lookup itself.
        return getattr(self, name)

    @property
    def html(self) -> SafeString:
        """The row's markup: what inbox/_row.html renders, byte for byte, written out
        in Python (a list page draws 40 rows; the template costs ~0.5 ms a row, this
        a twentieth of it). test_rendering.py renders rows of every kind both ways and
        compares them, so the template stays the readable reference."""
        return SafeString(_row_markup(self))

    @property
    def template_html(self) -> SafeString:
        # A rendered template is already escaped: SafeString only says so to the types.
        return SafeString(get_template("inbox/_row.html").render({"row": self}))


def _row_markup(row: Row) -> str:
    e = conditional_escape
    number = e(row.number)
    name = e(row.name)
    classes = "conv-row"
    if row.unread:
        classes += " is-unread"
    if row.waiting:
        classes += " is-waiting"
    if row.reply_failed:
        classes += " has-failed-reply"
    classes += f" sla-{e(row.sla)} priority-{e(row.priority)}"
    top = ""
    if row.unread:
        top += (
            '<span class="unread-dot" title="New from the customer since you last opened it">'
            '<span class="visually-hidden">Unread: </span></span>'
        )
    top += f'<span class="conv-name">{name}</span>\n        '
    if row.waiting:
        top += (
            '<span class="waiting-dot" title="Waiting for a reply">'
            '<span class="visually-hidden">, waiting for a reply</span></span>'
        )
    replied = f'<span class="conv-you">{e(row.replied_by)}:</span> ' if row.replied_by else ""
    sender = ""
    if row.sender:
        sender = (
            '<span class="badge sender-badge" title="An automated sender: texts come from it,'
            f' replies can’t go back">{e(row.sender)}</span>'
        )
    failed = ""
    if row.reply_failed:
        failed = (
            '<span class="badge badge-danger reply-failed-badge" title="The last reply did not'
            f' reach them: open it to answer another way">{icon_markup("alert")}'
            "Reply not delivered</span>"
        )
    sla = ""
    if row.sla == "breached":
        sla = f'<span class="badge badge-danger sla-badge">{icon_markup("clock")}Overdue</span>'
    elif row.sla == "near":
        sla = f'<span class="badge badge-warn sla-badge">{icon_markup("clock")}Due soon</span>'
    priority = ""
    if row.priority == "urgent":
        priority = '<span class="badge badge-danger">Urgent</span>'
    elif row.priority == "high":
        priority = '<span class="badge badge-warn">High</span>'
    unhappy = ""
    if row.unhappy:
        unhappy = (
            '<span class="badge mood-negative" title="Unhappy">'
            f"{icon_markup('frown', 13)}Unhappy</span>"
        )
    score = ""
    if row.why:
        score = (
            f'<span class="conv-score" title="Priority {e(row.score)}: {e(row.why)}">'
            f'<span class="visually-hidden">Priority </span>{e(row.score)}'
            f'<span class="visually-hidden">: {e(row.why)}</span></span>'
        )
    status = ""
    if row.status != "open":
        status = (
            f'<span class="badge status-badge status-{e(row.status)}">{e(row.status_label)}</span>'
        )
    tags = "".join(f'<span class="tag-chip tag-chip-sm">{e(tag)}</span>' for tag in row.tags)
    assignee: str
    if row.assignee:
        assignee = e(row.assignee)
    elif row.team:
        assignee = f'<span class="team-chip">{e(row.team)}</span>'
    else:
        assignee = (
            f'<span class="unassigned" title="Unassigned">{icon_markup("user", 14)}'
            '<span class="visually-hidden">Unassigned</span></span>'
        )
    return (
        f'\n<li class="{classes}" id="conv-{number}" data-number="{number}" '
        f'data-status="{e(row.status)}"\n'
        f'    hx-get="{e(row.row_url)}" hx-trigger="conversation:changed[detail.number=='
        f'{number}&&!detail.moves] from:body" hx-swap="outerHTML">\n'
        f'  <input type="checkbox" class="conv-check" name="numbers" value="{number}" '
        f'form="bulk-form" aria-label="Select the conversation with {name}">\n'
        f'  <a class="conv-link" href="{e(row.url)}" data-conv-link>\n'
        f'    <span class="conv-avatar" aria-hidden="true">{e(row.initial)}'
        f'<span class="conv-channel" title="{e(row.channel)}">{e(row.channel_icon)}</span>'
        "</span>\n"
        '    <span class="conv-main">\n'
        '      <span class="conv-top">\n'
        f"        {top}\n"
        f'        <time class="conv-time" datetime="{e(row.iso)}" title="{e(row.title)}" '
        f"data-relative>{e(row.when)}</time>\n"
        "      </span>\n"
        f'      <span class="conv-snippet">{replied}{e(row.snippet)}</span>\n'
        '      <span class="conv-meta">\n'
        f"        {sender}\n"
        f"        {failed}\n"
        f"        {sla}\n"
        f"        {priority}\n"
        f"        {unhappy}\n"
        f"        {score}\n"
        f"        {status}\n"
        f"        {tags}\n"
        f'        <span class="presence-mini" data-presence-for="{number}"></span>\n'
        f'        <span class="conv-assignee">{assignee}</span>\n'
        "      </span>\n"
        "    </span>\n"
        "  </a>\n"
        "</li>\n"
    )


def _replied_by(last: Message | None) -> str:
    """The first name of the staff member who wrote the last message, if a reply."""
    if last is None or last.kind != MessageKind.REPLY:
        return ""
    if last.author is None and last.automatic:
        return "Automatic"
    return (last.author.first_name if last.author else "") or "Staff"


def conversation_url_maker(workspace: Any, params: ListParams | None = None, *, name: str = ""):
    """number -> that conversation's URL (with the list's filters), without reverse()
    per row: the path is resolved once around a marker number."""
    marker = 987654321
    head, tail = reverse(
        name or "inbox:conversation", kwargs={"ws": workspace.slug, "number": marker}
    ).split(str(marker))
    query = f"?{params.query}" if params and params.query else ""
    return lambda number: f"{head}{number}{tail}{query}"


def _rows(
    workspace: Any, conversations: list[Conversation], params: ListParams | None = None
) -> list[Row]:
    now = timezone.now()
    latest = queries.latest_messages(conversations)
    settings = service_levels.settings_or_defaults(workspace)
    zone = service_levels.workspace_zone(workspace)
    url_for = conversation_url_maker(workspace, params)
    row_url_for = conversation_url_maker(workspace, params, name="inbox:conversation-row")
    statuses = dict(ConversationStatus.choices)
    rows = []
    for c in conversations:
        name = c.contact.display_name
        rank = priority.for_conversation(c, now)
        last = latest.get(c.pk)
        # A waiting customer's row shows how long they have waited (as the
        # conversation's header does, and as the attention order sorts them).
        shown = c.waiting_since or c.last_message_at
        moment = timezone.localtime(shown) if shown else None
        rows.append(
            Row(
                conversation=c,
                last=last,
                sla=service_levels.breach_state(c, now, settings=settings, zone=zone),
                when=short_when(shown, now),
                url=url_for(c.number),
                row_url=row_url_for(c.number),
                name=name,
                # What `|date:"c"` and `|date:"D j M Y, H:i"` give, at a tenth the cost.
                iso=moment.isoformat() if moment else "",
                title=(
                    f"{WEEKDAYS_ABBR[moment.weekday()]} {moment.day} "
                    f"{str(MONTHS_3[moment.month]).title()} {moment.year:04d}, "
                    f"{moment.hour:02d}:{moment.minute:02d}"
                    if moment
                    else ""
                ),
                status_label=statuses.get(c.status, c.status),
                tags=tuple(t.name for t in c.tags.all()),
                assignee=avatar_markup(c.assignee, size="sm", alt=True) if c.assignee else "",
                team=c.team.name if c.team is not None else "",
                unread=getattr(c, "unread", False),
                waiting=c.is_waiting,
                reply_failed=c.has_failed_reply,
                channel=c.channel.name,
                channel_icon=icon_markup(channel_icon(c.channel), 12),
                initial=initial(name),
                number=str(c.number),
                status=c.status,
                priority=c.priority,
                unhappy=c.sentiment_label == "negative",
                replied_by=_replied_by(last),
                # A nameless customer's addresses are loaded (queries.inbox_page):
                # a one-way sender never has a name of its own.
                sender="" if c.contact.name else c.contact.automated_sender,
                # `snippet` is annotated on the last message by queries.inbox_page.
                snippet=(last.snippet if last is not None else "")  # type: ignore[attr-defined]
                or "No messages yet",
                score=str(rank.score) if rank.score else "",
                why=rank.why if rank.score else "",
            )
        )
    return rows


def _conversation(request: WorkspaceRequest, number: int) -> Conversation:
    """The workspace's conversation `number` (404 otherwise), its customer's addresses
    loaded: a nameless customer is shown by an address, on every message."""
    conversation = queries.access_conversation(request.workspace, number)
    prefetch_related_objects([conversation.contact], "identities")
    return conversation


def _with_contacts(conversations: list[Conversation]) -> None:
    prefetch_related_objects([c.contact for c in conversations], "identities")


def _htmx_error(request: WorkspaceRequest, text: str, *, status: int = 422) -> HttpResponse:
    return render(request, "inbox/_error.html", {"error": text}, status=status)


def _toast(response: HttpResponse, text: str) -> HttpResponse:
    response["HX-Trigger"] = json.dumps({"inbox:toast": {"text": text}})
    return response


def _conversation_url(conversation: Conversation, params: ListParams | None = None) -> str:
    url = reverse(
        "inbox:conversation",
        kwargs={"ws": conversation.workspace.slug, "number": conversation.number},
    )
    return f"{url}?{params.query}" if params and params.query else url


def _member_from(workspace: Any, value: str, me: Membership) -> Membership | None:
    """ "me", "none" or a membership id of this workspace (404 for anything else)."""
    if value == "me":
        return me
    if value == "none":
        return None
    pk = parse_id(value)
    member = Membership.objects.for_workspace(workspace).filter(pk=pk).first() if pk else None
    if member is None:
        raise Http404("No such colleague")
    return member


def _colleagues(workspace: Any) -> list[Membership]:
    return list(
        Membership.objects.for_workspace(workspace)
        .filter(is_active=True)
        .order_by("display_name", "pk")
    )


def _unread_count(member: Membership) -> int:
    return Notification.objects.filter(
        workspace_id=member.workspace_id, recipient=member, read_at__isnull=True
    ).count()


def _webform_url(workspace: Any) -> str:
    try:
        return reverse("webform:form", kwargs={"slug": workspace.slug})
    except NoReverseMatch:  # the web form channel is not installed in this build
        return f"/f/{workspace.slug}/"
