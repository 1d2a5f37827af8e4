"""Outreach's staff pages under /w/<ws>/outreach/: campaigns and their results,
templates with a live check and a preview for a real contact, sender identities.
Parse, authorise, call one action, render a page or an htmx fragment."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from frontdesk.core import roles
from frontdesk.core.errors import ActionError
from frontdesk.core.http import WorkspaceRequest, parse_id
from frontdesk.core.models import Contact
from frontdesk.core.permissions import require, require_capability
from frontdesk.outreach import imports, preview, queries
from frontdesk.outreach import render as placeholders
from frontdesk.outreach.actions import authoring, campaigns
from frontdesk.outreach.actions import imports as import_actions
from frontdesk.outreach.actions import settings as outreach_settings
from frontdesk.outreach.forms import (
    CampaignForm,
    ImportUploadForm,
    NoticeImportForm,
    OutreachSettingsForm,
    ScheduleForm,
    SenderForm,
    TemplateForm,
    TopicForm,
)
from frontdesk.outreach.models import (
    CampaignStatus,
    ImportKind,
    ImportRun,
    MessageKind,
    OutreachSettings,
    SenderIdentity,
    Template,
)


@require_GET
@require_capability(roles.VIEW_INBOX)
def index(request: WorkspaceRequest) -> HttpResponse:
    """Campaigns with their results, and the notices sent lately: a page of each,
    newest first; `?campaigns=` / `?notices=` name where the next page starts."""
    workspace = request.workspace
    campaigns_after = request.GET.get("campaigns") or None
    notices_after = request.GET.get("notices") or None
    try:
        campaign_page = queries.campaigns_with_results(workspace, before=campaigns_after)
        notice_page = queries.recent_notices(workspace, before=notices_after)
    except queries.BadCursor as error:
        messages.error(request, str(error))
        return redirect("outreach:index", ws=workspace.slug)

    def more(name: str, cursor: str | None) -> str:
        if cursor is None:
            return ""
        return "?" + urlencode({**request.GET.dict(), name: cursor}) + f"#{name}-h"

    return render(
        request,
        "outreach/index.html",
        {
            "campaigns": campaign_page.rows,
            "notices": notice_page.rows,
            "older_campaigns": more("campaigns", campaign_page.next_cursor),
            "older_notices": more("notices", notice_page.next_cursor),
            "first_campaigns": "?" + urlencode({"notices": notices_after or ""})
            if campaigns_after
            else "",
            "first_notices": "?" + urlencode({"campaigns": campaigns_after or ""})
            if notices_after
            else "",
            "tracking": queries.tracking_enabled(workspace),
            "tab": "campaigns",
        },
    )


# --- templates ----------------------------------------------------------------------------


@require_GET
@require_capability(roles.VIEW_INBOX)
def template_list(request: WorkspaceRequest) -> HttpResponse:
    rows = [
        {
            "template": t,
            "wording": placeholders.impersonal_wording(t.subject, t.html, t.sms_body),
        }
        for t in queries.templates(request.workspace)
    ]
    return render(request, "outreach/templates.html", {"rows": rows, "tab": "templates"})


def _check(
    request: WorkspaceRequest,
    *,
    kind: str,
    subject: str,
    html: str,
    sms_body: str,
    contact_id: Any,
    sender_id: Any,
) -> dict[str, Any]:
    """The editor's live findings and the preview for the chosen contact."""
    workspace = request.workspace
    texts = [subject, html] if kind == MessageKind.EMAIL else [sms_body]
    contacts = preview.contacts_for(workspace, kind)
    contact = contacts.filter(pk=parse_id(contact_id) or 0).first() or contacts.first()
    sender = (
        SenderIdentity.objects.for_workspace(workspace).filter(pk=parse_id(sender_id) or 0).first()
    )
    problems = [found for text in texts for found in placeholders.problems(text)]
    return {
        "problems": problems,
        "wording": placeholders.impersonal_wording(*texts),
        "preview": (
            preview.render_for(
                workspace,
                contact,
                kind=kind,
                subject=subject,
                html=html,
                sms_body=sms_body,
                sender=sender,
            )
            if contact is not None and not problems
            else None
        ),
        "contact": contact,
        "kind": kind,
    }


def _template_page(request: WorkspaceRequest, template: Template | None) -> HttpResponse:
    workspace = request.workspace
    if template is None:
        form = TemplateForm(request.POST or None, initial={"kind": MessageKind.EMAIL})
    else:
        form = TemplateForm.for_template(template, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {k: data[k] for k in ("name", "kind", "subject", "html", "sms_body")}
        try:
            if template is None:
                template = authoring.create_template(workspace.pk, **fields, by=request.membership)
                messages.success(request, f"“{template.name}” is saved.")
            else:
                authoring.update_template(template, **fields, by=request.membership)
                messages.success(request, "Saved.")
        except ActionError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect("outreach:template-edit", ws=workspace.slug, pk=template.pk)
    values = {name: form[name].value() or "" for name in ("kind", "subject", "html", "sms_body")}
    kind = values["kind"] if values["kind"] in MessageKind.values else MessageKind.EMAIL
    sender_list = list(queries.senders(workspace))
    # Previewed as yourself when you send as someone, else as the first sender.
    own = [s for s in sender_list if s.member_id == request.membership.pk]
    fallback = (own or sender_list)[0].pk if sender_list else ""
    chosen_sender = request.GET.get("sender") or fallback
    context = {
        "form": form,
        "template": template,
        "senders": sender_list,
        "email_senders": [s for s in sender_list if s.email_channel_id],
        "sms_senders": [s for s in sender_list if s.sms_channel_id],
        "contacts": list(preview.contacts_for(workspace, kind)[: preview.PREVIEW_CONTACTS]),
        "check": _check(
            request,
            kind=kind,
            subject=values["subject"],
            html=values["html"],
            sms_body=values["sms_body"],
            contact_id=request.GET.get("contact"),
            sender_id=chosen_sender,
        ),
        "chosen_sender": parse_id(chosen_sender),
        "tab": "templates",
    }
    return render(
        request, "outreach/template_form.html", context, status=400 if form.errors else 200
    )


@require_capability(roles.SEND_OUTREACH)
def template_create(request: WorkspaceRequest) -> HttpResponse:
    return _template_page(request, None)


@require_capability(roles.VIEW_INBOX)
def template_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    # Anyone who reads the inbox may look; saving needs send_outreach.
    if request.method == "POST":
        require(request.membership, roles.SEND_OUTREACH)
    return _template_page(request, queries.access_template(request.workspace, pk))


@require_POST
@require_capability(roles.VIEW_INBOX)
def template_check(request: WorkspaceRequest) -> HttpResponse:
    """The live check and preview beside the editor (htmx, while typing)."""
    post = request.POST
    kind = post.get("kind", MessageKind.EMAIL)
    context = _check(
        request,
        kind=kind if kind in MessageKind.values else MessageKind.EMAIL,
        subject=post.get("subject", ""),
        html=post.get("html", ""),
        sms_body=post.get("sms_body", ""),
        contact_id=post.get("contact"),
        sender_id=post.get("sender"),
    )
    return render(request, "outreach/_check.html", {"check": context})


@require_POST
@require_capability(roles.SEND_OUTREACH)
def template_test_send(request: WorkspaceRequest, pk: int) -> HttpResponse:
    workspace = request.workspace
    template = queries.access_template(workspace, pk)
    sender = queries.access_sender(workspace, request.POST.get("sender"))
    contact: Contact = queries.access_contact(workspace, request.POST.get("contact"))
    try:
        address = authoring.send_test_message(
            template, sender=sender, contact=contact, by=request.membership
        )
    except ActionError as error:
        if error.code not in ("send", "kind", "no_channel", "no_mobile"):
            raise
        messages.error(request, error.message)
    else:
        what = "text" if template.kind == MessageKind.SMS else "test"
        messages.success(
            request,
            f"A {what} written for {contact.display_name} is on its way to {address}, "
            f"from {sender.name}.",
        )
    response = redirect("outreach:template-edit", ws=workspace.slug, pk=template.pk)
    response["Location"] += f"?contact={contact.pk}&sender={sender.pk}"
    return response


# --- sender identities --------------------------------------------------------------------


def _proof_message(request: WorkspaceRequest, sender: SenderIdentity) -> None:
    """Mail the link proving the sender's own address, and say what happened."""
    try:
        address = authoring.request_address_proof(sender, by=request.membership)
    except ActionError as error:
        messages.error(request, f"{error.message} Until it is confirmed, {FALLBACK}")
    else:
        messages.info(
            request,
            f"We mailed a link to {address}: once its owner follows it, messages from "
            f"{sender.name} come from that address. Until then, {FALLBACK}",
        )


FALLBACK = "messages go out from the channel's address with the person's name."


@require_capability(roles.VIEW_INBOX)
def sender_list(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    can_add = request.membership.can(roles.MANAGE_CHANNELS)
    form = SenderForm(workspace, request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_add:
            require(request.membership, roles.MANAGE_CHANNELS)
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = authoring.create_sender_identity(
                    member=data["member"], **_sender_fields(data), by=request.membership
                )
            except ActionError as error:
                form.add_error(_sender_field(error), error.message)
            else:
                messages.success(request, f"{made.name} can now send messages in person.")
                if made.from_address and not made.from_address_verified:
                    _proof_message(request, made)
                return redirect("outreach:senders", ws=workspace.slug)
    return render(
        request,
        "outreach/senders.html",
        {
            "senders": queries.senders(workspace),
            "archived": queries.senders(workspace, archived=True),
            "form": form,
            "can_add": can_add,
            "tab": "senders",
        },
        status=400 if form.errors else 200,
    )


# The sender form's fields that adding and editing a sender both pass to their action.
SENDER_FIELDS = (
    "name",
    "title",
    "signature",
    "email_channel",
    "sms_channel",
    "from_address",
    "photo",
)


def _sender_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in SENDER_FIELDS}


def _sender_field(error: ActionError) -> str | None:
    field = {"email": "email_channel", "sms": "sms_channel"}.get(error.field or "", error.field)
    return field if field in SenderForm.base_fields else None


@require_capability(roles.MANAGE_CHANNELS)
def sender_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Change a sender: name, title, photo, signature, channels, own address."""
    workspace = request.workspace
    sender = queries.access_sender(workspace, pk)
    form = SenderForm.for_sender(sender, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        old_address = sender.from_address
        try:
            authoring.update_sender_identity(
                sender,
                **_sender_fields(data),
                remove_photo=data["remove_photo"],
                by=request.membership,
            )
        except ActionError as error:
            form.add_error(_sender_field(error), error.message)
        else:
            messages.success(request, f"Saved. New messages from {sender.name} carry the changes.")
            if sender.from_address != old_address and sender.from_address:
                if sender.from_address_verified:
                    messages.info(request, f"{sender.from_address} is the channel's own address.")
                else:
                    _proof_message(request, sender)
            return redirect("outreach:senders", ws=workspace.slug)
    return render(
        request,
        "outreach/sender_form.html",
        {
            "sender": sender,
            "form": form,
            "in_use": authoring.sender_in_use(sender),
            "fallback": FALLBACK,
            "tab": "senders",
        },
        status=400 if form.errors else 200,
    )


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def sender_remove(request: WorkspaceRequest, pk: int) -> HttpResponse:
    sender = queries.access_sender(request.workspace, pk)
    if authoring.remove_sender_identity(sender, by=request.membership):
        messages.success(request, f"{sender.name} is deleted.")
    else:
        messages.success(
            request,
            f"{sender.name} is archived: campaigns and notices already sent keep their name, "
            "and new ones cannot choose them. Campaigns under way still finish.",
        )
    return redirect("outreach:senders", ws=request.workspace.slug)


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def sender_restore(request: WorkspaceRequest, pk: int) -> HttpResponse:
    sender = queries.access_sender(request.workspace, pk)
    authoring.restore_sender_identity(sender, by=request.membership)
    messages.success(request, f"{sender.name} can send new messages again.")
    return redirect("outreach:senders", ws=request.workspace.slug)


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def sender_verify(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Mail the proof link again (a new one: the old stays valid until it expires)."""
    sender = queries.access_sender(request.workspace, pk)
    _proof_message(request, sender)
    return redirect("outreach:senders", ws=request.workspace.slug)


# --- settings and topics ------------------------------------------------------------------


def _settings_form(
    request: WorkspaceRequest, saved: OutreachSettings, data: Any = None
) -> OutreachSettingsForm:
    return OutreachSettingsForm(
        request.workspace,
        data,
        current=saved.default_sender_id,
        initial={
            "physical_address": saved.physical_address,
            "default_sender": saved.default_sender_id,
            "track_opens_and_clicks": saved.track_opens_and_clicks,
        },
    )


def _settings_page(
    request: WorkspaceRequest,
    *,
    form: OutreachSettingsForm | None = None,
    topic_form: TopicForm | None = None,
) -> HttpResponse:
    workspace = request.workspace
    saved = outreach_settings.settings_of(workspace.pk)
    form = form or _settings_form(request, saved)
    topic_form = topic_form or TopicForm()
    return render(
        request,
        "outreach/settings.html",
        {
            "form": form,
            "topic_form": topic_form,
            "saved": saved,
            "topics": queries.topics_with_counts(workspace),
            "can_change": request.membership.can(roles.MANAGE_WORKSPACE),
            "tab": "settings",
        },
        status=400 if form.errors or topic_form.errors else 200,
    )


def _form_error(form: Any, error: ActionError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _back_to_topic(request: WorkspaceRequest, topic: Any, saved: str) -> HttpResponse:
    """After a topic is added or saved: say so, and show it on the Settings tab."""
    messages.success(request, saved)
    response = redirect("outreach:settings", ws=request.workspace.slug)
    response["Location"] += f"#topic-{topic.pk}"
    return response


@require_capability(roles.VIEW_INBOX)
def settings_page(request: WorkspaceRequest) -> HttpResponse:
    """The workspace's outreach settings and its topics. Everyone who reads the inbox
    may look; saving needs manage_workspace."""
    if request.method != "POST":
        return _settings_page(request)
    require(request.membership, roles.MANAGE_WORKSPACE)
    form = _settings_form(
        request, outreach_settings.settings_of(request.workspace.pk), request.POST
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            outreach_settings.update_outreach_settings(
                request.workspace.pk,
                physical_address=data["physical_address"],
                track_opens_and_clicks=data["track_opens_and_clicks"],
                default_sender=data["default_sender"],
                by=request.membership,
            )
        except ActionError as error:
            _form_error(form, error)
        else:
            messages.success(request, "Saved. Messages sent from now on carry the changes.")
            return redirect("outreach:settings", ws=request.workspace.slug)
    return _settings_page(request, form=form)


@require_POST
@require_capability(roles.MANAGE_WORKSPACE)
def topic_create(request: WorkspaceRequest) -> HttpResponse:
    form = TopicForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            made = outreach_settings.create_topic(
                request.workspace.pk,
                name=data["name"],
                slug=data["slug"],
                description=data["description"],
                double_opt_in=data["double_opt_in"],
                by=request.membership,
            )
        except ActionError as error:
            _form_error(form, error)
        else:
            return _back_to_topic(
                request,
                made,
                f"“{made.name}” is added: people can choose it on their preferences page, "
                f"and imports can fill it as topic.{made.slug}.",
            )
    return _settings_page(request, topic_form=form)


@require_capability(roles.MANAGE_WORKSPACE)
def topic_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Rename a topic, redescribe it, or change whether it asks for confirmation;
    its slug stays as it was made."""
    workspace = request.workspace
    topic = queries.access_topic(workspace, pk)
    form = TopicForm.for_topic(topic, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outreach_settings.update_topic(
                topic,
                name=data["name"],
                description=data["description"],
                double_opt_in=data["double_opt_in"],
                by=request.membership,
            )
        except ActionError as error:
            _form_error(form, error)
        else:
            return _back_to_topic(request, topic, f"“{topic.name}” is saved.")
    return render(
        request,
        "outreach/topic_form.html",
        {"topic": topic, "form": form, "tab": "settings"},
        status=400 if form.errors else 200,
    )


# --- campaigns ----------------------------------------------------------------------------


@require_capability(roles.SEND_OUTREACH)
def campaign_create(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    form = CampaignForm(workspace, request.POST or None, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = campaigns.create_campaign(
                name=data["name"],
                sender=data["sender"],
                template=data["template"],
                topic=data["topic"],
                audience=form.audience(),
                by=request.membership,
            )
        except ActionError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"“{made.name}” is ready: check it, then send it.")
            return redirect("outreach:campaign", ws=workspace.slug, pk=made.pk)
    return render(
        request,
        "outreach/campaign_form.html",
        {"form": form, "tab": "campaigns"},
        status=400 if form.errors else 200,
    )


def _audience_size(campaign: Any) -> int:
    from frontdesk.outreach import audiences

    return sum(
        1
        for _ in audiences.recipients(
            campaign.workspace_id,
            kind=campaign.template.kind,
            audience=campaign.audience,
            topic=campaign.topic,
        )
    )


@require_GET
@require_capability(roles.VIEW_INBOX)
def campaign_detail(request: WorkspaceRequest, pk: int) -> HttpResponse:
    campaign = queries.access_campaign(request.workspace, pk)
    draft = campaign.status == CampaignStatus.DRAFT
    return render(
        request,
        "outreach/campaign.html",
        {
            "campaign": campaign,
            "results": queries.campaign_results(campaign),
            "states": queries.delivery_states(campaign),
            "audience_size": _audience_size(campaign) if draft else None,
            "schedule_form": ScheduleForm(),
            "tracking": queries.tracking_enabled(request.workspace),
            "tab": "campaigns",
        },
    )


@require_POST
@require_capability(roles.SEND_OUTREACH)
def campaign_start(request: WorkspaceRequest, pk: int) -> HttpResponse:
    workspace = request.workspace
    campaign = queries.access_campaign(workspace, pk)
    at = None
    if request.POST.get("when") == "later":
        schedule = ScheduleForm(request.POST)
        if not schedule.is_valid() or schedule.cleaned_data["at"] <= timezone.now():
            messages.error(request, "Choose a time in the future to schedule it.")
            return redirect("outreach:campaign", ws=workspace.slug, pk=campaign.pk)
        at = schedule.cleaned_data["at"]
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        messages.error(request, "This campaign has started already.")
        return redirect("outreach:campaign", ws=workspace.slug, pk=campaign.pk)
    count = campaigns.start_campaign(campaign, by=request.membership, at=at)
    if at is not None:
        when = timezone.localtime(at).strftime("%-d %b %Y, %H:%M")
        messages.success(request, f"Scheduled for {when}: {count} recipients.")
    else:
        messages.success(request, f"Sending to {count} recipients.")
    return redirect("outreach:campaign", ws=workspace.slug, pk=campaign.pk)


@require_POST
@require_capability(roles.SEND_OUTREACH)
def campaign_pause(request: WorkspaceRequest, pk: int) -> HttpResponse:
    campaign = queries.access_campaign(request.workspace, pk)
    campaigns.pause_campaign(campaign, by=request.membership)
    messages.success(request, "Paused: nothing more goes out until you resume it.")
    return redirect("outreach:campaign", ws=request.workspace.slug, pk=campaign.pk)


@require_POST
@require_capability(roles.SEND_OUTREACH)
def campaign_resume(request: WorkspaceRequest, pk: int) -> HttpResponse:
    campaign = queries.access_campaign(request.workspace, pk)
    campaigns.resume_campaign(campaign, by=request.membership)
    messages.success(request, "Sending again.")
    return redirect("outreach:campaign", ws=request.workspace.slug, pk=campaign.pk)


# --- CSV imports --------------------------------------------------------------------------


def _import_capability(request: WorkspaceRequest) -> None:
    """Contacts need manage_contacts, notices send_outreach: either lets you in."""
    membership = request.membership
    if not (membership.can(roles.MANAGE_CONTACTS) or membership.can(roles.SEND_OUTREACH)):
        require(membership, roles.MANAGE_CONTACTS)


@require_capability(roles.VIEW_INBOX)
def import_list(request: WorkspaceRequest) -> HttpResponse:
    """Upload a CSV file (contacts or notice data); earlier imports below."""
    workspace = request.workspace
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        _import_capability(request)
        if form.is_valid():
            try:
                made = import_actions.upload_import(
                    workspace,
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                    by=request.membership,
                )
            except ActionError as error:
                form.add_error("file" if error.field in (None, "file") else None, error.message)
            else:
                return redirect("outreach:import", ws=workspace.slug, pk=made.pk)
    return render(
        request,
        "outreach/imports.html",
        {"form": form, "runs": queries.recent_imports(workspace), "tab": "imports"},
        status=400 if form.errors else 200,
    )


def _import_context(request: WorkspaceRequest, run: ImportRun, **extra: Any) -> dict[str, Any]:
    targets = imports.targets_for(run)
    return {
        "run": run,
        "targets": list(targets.items()),
        "columns": [(i, c, run.mapping.get(c, "")) for i, c in enumerate(run.columns)],
        "notice_form": extra.pop("notice_form", None)
        or NoticeImportForm(
            request.workspace,
            initial={
                "template": run.template_id,
                "sender": run.sender_id,
                "create_contacts": run.create_contacts,
            },
        ),
        "tab": "imports",
        **extra,
    }


@require_capability(roles.VIEW_INBOX)
def import_detail(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """One import: map the columns and check (POST), the dry run's report with the
    button that imports, the progress bar, the final report."""
    workspace = request.workspace
    run = queries.access_import(workspace, pk)
    if request.method != "POST":
        return render(request, "outreach/import.html", _import_context(request, run))
    _import_capability(request)
    mapping = {
        column: request.POST.get(f"map-{index}", "") for index, column in enumerate(run.columns)
    }
    notice_form = NoticeImportForm(workspace, request.POST)
    error = ""
    if run.kind == ImportKind.NOTICES and not notice_form.is_valid():
        error = "Choose the notice's template and who sends it."
    else:
        data = notice_form.cleaned_data if run.kind == ImportKind.NOTICES else {}
        try:
            import_actions.check_import(
                run,
                mapping=mapping,
                template=data.get("template"),
                sender=data.get("sender"),
                create_contacts=bool(data.get("create_contacts")),
                by=request.membership,
            )
        except ActionError as refusal:
            error = refusal.message
        else:
            return redirect("outreach:import", ws=workspace.slug, pk=run.pk)
    run.mapping = mapping
    return render(
        request,
        "outreach/import.html",
        _import_context(request, run, notice_form=notice_form, error=error),
        status=400,
    )


@require_POST
@require_capability(roles.VIEW_INBOX)
def import_start(request: WorkspaceRequest, pk: int) -> HttpResponse:
    run = queries.access_import(request.workspace, pk)
    _import_capability(request)
    import_actions.start_import(run, by=request.membership)
    return redirect("outreach:import", ws=request.workspace.slug, pk=run.pk)


@require_GET
@require_capability(roles.VIEW_INBOX)
def import_progress(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """The progress bar and report (htmx polls it while the file is being read)."""
    run = queries.access_import(request.workspace, pk)
    return render(request, "outreach/_import_status.html", {"run": run})
