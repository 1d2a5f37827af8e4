from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from frontdesk.core import queries, roles
from frontdesk.core.actions import contacts as contact_actions
from frontdesk.core.actions.workspaces import update_workspace_settings
from frontdesk.core.contact_sections import contact_sections
from frontdesk.core.forms import ContactForm, IdentityForm, MergeForm, WorkspaceSettingsForm
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import ConsentTopic, IdentityKind, Membership, Workspace
from frontdesk.core.permissions import require_capability


@login_required
def root(request: HttpRequest) -> HttpResponse:
    """Send a signed-in person to their last (or first) workspace."""
    user_id = request.user.pk  # login_required: a signed-in user
    memberships = Membership.objects.filter(
        user_id=user_id,  # type: ignore[misc]
        is_active=True,
    ).select_related("workspace")
    last = request.session.get("workspace")
    chosen = next((m for m in memberships if m.workspace.slug == last), None) or memberships.first()
    if chosen is None:
        return render(request, "core/no_workspace.html", status=403)
    return redirect("core:home", ws=chosen.workspace.slug)


def _greeting(workspace: Workspace) -> str:
    hour = timezone.localtime(timezone=workspace.tzinfo).hour
    if hour < 12:
        return "Good morning"
    if hour < 18:
        return "Good afternoon"
    return "Good evening"


def home(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    contacts = queries.contacts(workspace)
    context = {
        "greeting": _greeting(workspace),
        "contact_count": contacts.count(),
        "recent_contacts": contacts.prefetch_related("identities")[:6],
        "team": queries.team(workspace),
        "opted_out_sms": contacts.filter(sms_consent="revoked").count(),
    }
    return render(request, "core/home.html", context)


def contact_list(request: WorkspaceRequest) -> HttpResponse:
    text = request.GET.get("q", "")
    qs = queries.search_contacts(request.workspace, text)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    template = "core/_contact_rows.html" if request.htmx else "core/contact_list.html"
    return render(request, template, {"page": page, "q": text})


@require_capability(roles.MANAGE_CONTACTS)
def contact_create(request: WorkspaceRequest) -> HttpResponse:
    form = ContactForm(request.POST or None, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        identities = []
        if form.cleaned_data["phone"]:
            identities.append((IdentityKind.PHONE.value, form.cleaned_data["phone"]))
        if form.cleaned_data["email"]:
            identities.append((IdentityKind.EMAIL.value, form.cleaned_data["email"]))
        try:
            contact = contact_actions.create_contact(
                request.workspace,
                by=request.membership,
                name=form.cleaned_data["name"],
                identities=identities,
                notes=form.cleaned_data["notes"],
            )
        except contact_actions.ContactError as exc:
            form.add_error(None, str(exc))
        else:
            for topic in ConsentTopic.values:
                status = form.cleaned_data[f"{topic}_consent"]
                if status != "unknown":
                    contact_actions.set_consent(
                        contact,
                        topic=topic,
                        status=status,
                        source=f"staff: {request.membership.display_name}",
                        by=request.membership,
                    )
            messages.success(request, f"{contact.display_name} added.")
            return redirect("core:contact-detail", ws=request.workspace.slug, pk=contact.pk)
    return render(request, "core/contact_form.html", {"form": form})


def contact_detail(request: WorkspaceRequest, pk: int) -> HttpResponse:
    contact = queries.access_contact(request.workspace, pk)
    if contact.merged_into_id:
        return redirect("core:contact-detail", ws=request.workspace.slug, pk=contact.merged_into_id)
    context = {
        "contact": contact,
        "identities": contact.identities.all(),
        # The person's conversations, from the inbox (core cannot import it).
        "sections": contact_sections(request, contact),
        "consent_changes": contact.consent_changes.select_related("changed_by")[:20],
        "identity_form": IdentityForm(),
        "consent_topics": [
            (topic, label, contact.consent_for(topic)) for topic, label in ConsentTopic.choices
        ],
        "merge_candidates": (
            queries.search_contacts(request.workspace, request.GET["merge_q"]).exclude(
                pk=contact.pk
            )[:8]
            if request.GET.get("merge_q")
            else None
        ),
    }
    return render(request, "core/contact_detail.html", context)


@require_capability(roles.MANAGE_CONTACTS)
def contact_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    contact = queries.access_contact(request.workspace, pk)
    if request.method == "POST":
        contact_actions.update_contact_details(
            contact,
            by=request.membership,
            name=request.POST.get("name", ""),
            notes=request.POST.get("notes", ""),
        )
        messages.success(request, "Saved.")
        return redirect("core:contact-detail", ws=request.workspace.slug, pk=contact.pk)
    return render(request, "core/contact_edit.html", {"contact": contact})


@require_POST
@require_capability(roles.MANAGE_CONTACTS)
def identity_add(request: WorkspaceRequest, pk: int) -> HttpResponse:
    contact = queries.access_contact(request.workspace, pk)
    form = IdentityForm(request.POST)
    if form.is_valid():
        try:
            contact_actions.add_identity(
                contact,
                by=request.membership,
                kind=form.cleaned_data["kind"],
                value=form.cleaned_data["value"],
            )
        except (ValidationError, contact_actions.ContactError) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, text)
        else:
            messages.success(request, "Address added.")
    else:
        messages.error(request, "Choose a kind and enter an address.")
    return redirect("core:contact-detail", ws=request.workspace.slug, pk=contact.pk)


@require_POST
@require_capability(roles.MANAGE_CONTACTS)
def identity_remove(request: WorkspaceRequest, pk: int) -> HttpResponse:
    identity = queries.access_identity(request.workspace, pk)
    contact_pk = identity.contact_id
    contact_actions.remove_identity(identity, by=request.membership)
    messages.success(request, "Address removed.")
    return redirect("core:contact-detail", ws=request.workspace.slug, pk=contact_pk)


@require_POST
@require_capability(roles.MANAGE_CONTACTS)
def contact_consent(request: WorkspaceRequest, pk: int) -> HttpResponse:
    contact = queries.access_contact(request.workspace, pk)
    topic, status = request.POST.get("topic", ""), request.POST.get("status", "")
    try:
        contact_actions.set_consent(
            contact,
            topic=topic,
            status=status,
            source=f"staff: {request.membership.display_name}",
            by=request.membership,
        )
    except contact_actions.ContactError as exc:
        messages.error(request, str(exc))
    return redirect("core:contact-detail", ws=request.workspace.slug, pk=contact.pk)


@require_POST
@require_capability(roles.MANAGE_CONTACTS)
def contact_merge(request: WorkspaceRequest, pk: int) -> HttpResponse:
    keep = queries.access_contact(request.workspace, pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        raise Http404
    other = queries.access_contact(request.workspace, form.cleaned_data["other"])
    try:
        with transaction.atomic():
            contact_actions.merge_contacts(keep, other, by=request.membership)
    except contact_actions.ContactError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Merged {other.display_name} into {keep.display_name}.")
    return redirect("core:contact-detail", ws=request.workspace.slug, pk=keep.pk)


def settings_index(request: HttpRequest) -> HttpResponse:
    return render(request, "core/settings_index.html")


@require_capability(roles.MANAGE_WORKSPACE)
def workspace_settings(request: WorkspaceRequest) -> HttpResponse:
    form = WorkspaceSettingsForm(
        request.POST or None, request.FILES or None, instance=request.workspace
    )
    if request.method == "POST" and form.is_valid():
        values = {"remove_logo": False} | form.cleaned_data
        try:
            update_workspace_settings(request.workspace, by=request.membership, **values)
        except ValidationError as error:
            form.add_error("logo", error)
        else:
            messages.success(request, "Workspace settings saved.")
            return redirect(
                reverse("core:workspace-settings", kwargs={"ws": request.workspace.slug})
            )
    return render(request, "core/workspace_settings.html", {"form": form})
