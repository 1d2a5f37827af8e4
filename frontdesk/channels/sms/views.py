"""Settings → Channels → a text-message number: parse, authorise, call one action, render.

Everyone in the workspace may look (agents see what customers can reach); only
members who can `manage_channels` (admins, owners) change anything: the views
check first, and the actions check again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from frontdesk.channels.sms import actions, handling, poster, queries
from frontdesk.channels.sms.forms import (
    ChannelOptionsForm,
    KeywordForm,
    NewSmsChannelForm,
    PosterForm,
    RepliesForm,
    SmsConnectionForm,
)
from frontdesk.channels.sms.models import SmsChannelConfig
from frontdesk.channels.webform.queries import web_form_is_open, web_form_url
from frontdesk.connectors.sms.length import sms_length
from frontdesk.core import roles
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.permissions import require_capability
from frontdesk.inbox.models import Channel

FORM_ERRORS = "Nothing was saved: please check the highlighted fields."


def _apply_error(form: Any, exc: actions.ChannelSetupError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc))


def _to_sms_page(request: WorkspaceRequest, channel: Channel, anchor: str = "") -> HttpResponse:
    response = redirect("channels:sms-detail", ws=request.workspace.slug, pk=channel.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


# --- Adding a number -------------------------------------------------------------------------


@sensitive_post_parameters("auth_token")
@require_capability(roles.MANAGE_CHANNELS)
def sms_create(request: WorkspaceRequest) -> HttpResponse:
    """Connect a Twilio number: name, number, Account SID, Auth Token, Messaging Service."""
    form = NewSmsChannelForm(request.POST or None, workspace=request.workspace)
    if request.method == "POST":
        if form.is_valid():
            try:
                channel = actions.create_sms_channel(
                    request.workspace,
                    name=form.cleaned_data["name"],
                    connection=form.connection(),
                    by=request.membership,
                )
            except actions.ChannelSetupError as exc:
                _apply_error(form, exc)
            else:
                messages.success(
                    request,
                    f"{channel.name} is connected. Paste the two addresses below into "
                    "Twilio and your number is ready.",
                )
                return _to_sms_page(request, channel, "connect")
        return render(request, "sms/channel_new.html", {"form": form}, status=400)
    return render(request, "sms/channel_new.html", {"form": form})


# --- One SMS channel -------------------------------------------------------------------------


def _sms_context(request: WorkspaceRequest, channel: Channel, **forms: Any) -> dict[str, Any]:
    config: SmsChannelConfig = channel.sms_config
    workspace = request.workspace
    on_duty_choices = queries.on_duty_choices(workspace)
    options_form = forms.get("options_form") or ChannelOptionsForm(
        initial={
            "name": channel.name,
            "is_active": channel.is_active,
            "threading_window_hours": channel.threading_window_hours,
        }
    )
    replies_form = forms.get("replies_form") or RepliesForm(
        initial={
            "auto_acknowledge": channel.auto_acknowledge,
            "on_duty": config.on_duty_id,
            "auto_ack_text": config.auto_ack_text,
            "after_hours_text": config.after_hours_text,
            "help_text": config.help_text,
        },
        on_duty_choices=on_duty_choices,
    )
    connection_form = forms.get("connection_form") or SmsConnectionForm(
        initial={
            "phone_number": config.phone_number,
            "account_sid": config.account_sid,
            "messaging_service_sid": config.messaging_service_sid,
        },
        workspace=workspace,
        editing=True,
    )
    keyword_rows = list(queries.keywords(channel))
    keyword_form = forms.get("keyword_form") or KeywordForm()
    return {
        "channel": channel,
        "config": config,
        "can_manage": request.membership.can(roles.MANAGE_CHANNELS),
        "hooks": queries.webhook_urls(config),
        "options_form": options_form,
        "replies_form": replies_form,
        "connection_form": connection_form,
        "keyword_form": keyword_form,
        "new_keyword_length": sms_length(keyword_form["reply"].value() or ""),
        "keywords": [(row, sms_length(row.reply)) for row in keyword_rows],
        "preview": _preview(request, config, replies_form),
        "poster_form": PosterForm(initial={"size": poster.paper_for(workspace.default_country)}),
        "poster_number": poster.number_lines(config.phone_number, workspace.default_country),
    }


def _preview(
    request: WorkspaceRequest, config: SmsChannelConfig, form: RepliesForm
) -> dict[str, Any]:
    """The three automatic texts as a customer would read them, for the typed values."""
    data = form.data if form.is_bound else None

    def value(name: str) -> str:
        if data is not None:
            return str(data.get(name, ""))
        return str(form.initial.get(name, ""))

    on_duty_id = value("on_duty")
    member = None
    if on_duty_id.isdigit():
        member = queries.on_duty_choices(request.workspace).filter(pk=int(on_duty_id)).first()
    variables = {"workspace": request.workspace.name}
    if member is not None:
        variables |= {"staff_first_name": member.first_name, "staff_name": member.display_name}
    texts = []
    for field, label, neutral in (
        ("auto_ack_text", "First text, open hours", handling.NEUTRAL_ACK_TEXT),
        ("after_hours_text", "First text, closed", handling.NEUTRAL_AFTER_HOURS_TEXT),
        ("help_text", "Customer texts HELP", None),
    ):
        raw = value(field)
        # As the SMS handling does: with nobody to name, a sentence that names no one.
        if neutral and member is None and any(v in raw for v in handling.STAFF_VARIABLES):
            raw = neutral
        texts.append({"label": label, "text": fill(raw, variables), "length": sms_length(raw)})
    return {"texts": texts, "member": member}


def fill(template: str, variables: dict[str, str]) -> str:
    """Replace the known {placeholders}; anything else stays as typed (for the preview)."""
    return actions.PLACEHOLDER.sub(lambda m: variables.get(m.group(1), m.group(0)), template)


def _render_sms(
    request: WorkspaceRequest, channel: Channel, *, status: int = 200, **forms: Any
) -> HttpResponse:
    return render(
        request, "sms/channel_detail.html", _sms_context(request, channel, **forms), status=status
    )


def sms_detail(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """An SMS channel: how to connect it, its options, automatic replies and keywords."""
    channel = queries.access_sms_channel(request.workspace, pk)
    return _render_sms(request, channel)


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def sms_options(request: WorkspaceRequest, pk: int) -> HttpResponse:
    channel = queries.access_sms_channel(request.workspace, pk)
    form = ChannelOptionsForm(request.POST)
    if form.is_valid():
        try:
            actions.update_channel_options(
                channel,
                by=request.membership,
                name=form.cleaned_data["name"],
                is_active=form.cleaned_data["is_active"],
                threading_window_hours=form.cleaned_data["threading_window_hours"],
            )
        except actions.ChannelSetupError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "Channel settings saved.")
            return _to_sms_page(request, channel, "options")
    channel.refresh_from_db()
    messages.error(request, FORM_ERRORS)
    return _render_sms(request, channel, status=400, options_form=form)


@sensitive_post_parameters("auth_token")
@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def sms_connection(request: WorkspaceRequest, pk: int) -> HttpResponse:
    channel = queries.access_sms_channel(request.workspace, pk)
    form = SmsConnectionForm(request.POST, workspace=request.workspace, editing=True)
    if form.is_valid():
        try:
            actions.update_sms_connection(
                channel.sms_config, connection=form.connection(), by=request.membership
            )
        except actions.ChannelSetupError as exc:
            _apply_error(form, exc)
        else:
            kept = "" if form.cleaned_data["auth_token"] else " The Auth Token is unchanged."
            messages.success(request, f"Twilio connection saved.{kept}")
            return _to_sms_page(request, channel, "connection")
    channel.sms_config.refresh_from_db()
    messages.error(request, FORM_ERRORS)
    return _render_sms(request, channel, status=400, connection_form=form)


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def sms_replies(request: WorkspaceRequest, pk: int) -> HttpResponse:
    channel = queries.access_sms_channel(request.workspace, pk)
    form = RepliesForm(request.POST, on_duty_choices=queries.on_duty_choices(request.workspace))
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_sms_replies(
                channel.sms_config,
                by=request.membership,
                auto_acknowledge=data["auto_acknowledge"],
                on_duty=data["on_duty"],
                auto_ack_text=data["auto_ack_text"],
                after_hours_text=data["after_hours_text"],
                help_text=data["help_text"],
            )
        except actions.ChannelSetupError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "Automatic replies saved.")
            return _to_sms_page(request, channel, "replies")
    channel.refresh_from_db()
    channel.sms_config.refresh_from_db()
    messages.error(request, FORM_ERRORS)
    return _render_sms(request, channel, status=400, replies_form=form)


@require_POST
def sms_preview(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """The automatic replies as typed so far (htmx; nothing is saved)."""
    channel = queries.access_sms_channel(request.workspace, pk)
    form = RepliesForm(request.POST, on_duty_choices=queries.on_duty_choices(request.workspace))
    preview = _preview(request, channel.sms_config, form)
    return render(request, "sms/_reply_preview.html", {"preview": preview})


@require_POST
def text_length(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Characters and SMS segments of the text being typed (htmx; nothing is saved)."""
    queries.access_sms_channel(request.workspace, pk)
    field = request.POST.get("field", "reply")
    return render(request, "sms/_length.html", {"length": sms_length(request.POST.get(field, ""))})


# --- Keywords ----------------------------------------------------------------------------------


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def keyword_add(request: WorkspaceRequest, pk: int) -> HttpResponse:
    channel = queries.access_sms_channel(request.workspace, pk)
    form = KeywordForm(request.POST)
    if form.is_valid():
        try:
            row = actions.add_keyword(
                channel,
                keyword=form.cleaned_data["keyword"],
                reply=form.cleaned_data["reply"],
                by=request.membership,
            )
        except actions.ChannelSetupError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"Texts saying {row.keyword} now get your reply.")
            return _to_sms_page(request, channel, "keywords")
    messages.error(request, FORM_ERRORS)
    return _render_sms(request, channel, status=400, keyword_form=form)


@require_capability(roles.MANAGE_CHANNELS)
def keyword_edit(request: WorkspaceRequest, pk: int, keyword_pk: int) -> HttpResponse:
    """Edit one keyword: inline with htmx (a row turns into a form), or as its own page."""
    channel = queries.access_sms_channel(request.workspace, pk)
    row = queries.access_keyword(channel, keyword_pk)
    if request.method == "POST":
        form = KeywordForm(request.POST, auto_id=f"kw{row.pk}_%s")
        if form.is_valid():
            try:
                actions.update_keyword(
                    row,
                    keyword=form.cleaned_data["keyword"],
                    reply=form.cleaned_data["reply"],
                    is_active=form.cleaned_data["is_active"],
                    by=request.membership,
                )
            except actions.ChannelSetupError as exc:
                _apply_error(form, exc)
            else:
                if request.htmx:
                    return render(
                        request,
                        "sms/_keyword_row.html",
                        {
                            "channel": channel,
                            "row": row,
                            "length": sms_length(row.reply),
                            "can_manage": True,
                        },
                    )
                messages.success(request, f"{row.keyword} saved.")
                return _to_sms_page(request, channel, "keywords")
        row.refresh_from_db()
        status = 400
    else:
        form = KeywordForm(
            initial={"keyword": row.keyword, "reply": row.reply, "is_active": row.is_active},
            auto_id=f"kw{row.pk}_%s",
        )
        status = 200
    length = sms_length(form["reply"].value() or "")
    context = {"channel": channel, "row": row, "form": form, "length": length}
    if request.htmx:
        # htmx swaps only 2xx answers by default; a form with errors is still the answer.
        return render(request, "sms/_keyword_edit.html", context)
    return render(request, "sms/keyword_edit.html", context, status=status)


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def keyword_delete(request: WorkspaceRequest, pk: int, keyword_pk: int) -> HttpResponse:
    channel = queries.access_sms_channel(request.workspace, pk)
    row = queries.access_keyword(channel, keyword_pk)
    actions.delete_keyword(row, by=request.membership)
    if request.htmx:
        return HttpResponse("")
    messages.success(request, f"{row.keyword} no longer has an automatic reply.")
    return _to_sms_page(request, channel, "keywords")


# --- The poster ------------------------------------------------------------------------------


@require_GET
def sms_poster(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """A "Text us" poster for the front-desk window: PDF or PNG, A4 or US Letter."""
    channel = queries.access_sms_channel(request.workspace, pk)
    form = PosterForm(request.GET)
    if not form.is_valid():
        context = _sms_context(request, channel)
        context["poster_form"] = form
        messages.error(request, "The poster needs a headline, a line of text, a size and a format.")
        return render(request, "sms/channel_detail.html", context, status=400)
    workspace = request.workspace
    data = form.cleaned_data
    spec = poster.PosterSpec(
        workspace_name=workspace.name,
        phone_number=channel.sms_config.phone_number,
        country=workspace.default_country,
        headline=data["headline"],
        line=data["line"],
        brand_color=workspace.brand_color,
        form_url=web_form_url(workspace) if web_form_is_open(workspace) else None,
        page_size=data["size"],
    )
    if data["format"] == "png":
        content, content_type = poster.render_png(spec), "image/png"
    else:
        content, content_type = poster.render_pdf(spec), "application/pdf"
    response = HttpResponse(content, content_type=content_type)
    filename = f"text-us-{workspace.slug}-{data['size']}.{data['format']}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
