"""Signing in and out, password reset, invitations, the team page and your profile."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlencode

from axes.utils import reset as reset_login_failures
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from frontdesk.accounts import queries
from frontdesk.accounts.forms import (
    AcceptInvitationForm,
    InviteForm,
    NewPasswordForm,
    ProfileForm,
    ResetRequestForm,
    RoleForm,
    SignInForm,
    role_choices,
)
from frontdesk.core import roles
from frontdesk.core.actions import team
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import User
from frontdesk.core.permissions import require_capability
from frontdesk.core.queries import access_membership
from frontdesk.core.roles import ROLE_DESCRIPTIONS, Role
from frontdesk.live.publish import disconnect_session

# accept_invite logs people in without authenticate(); name the backend that would have.
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

# --- Signing in and out ------------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    """Email + password. LoginView passes the request to authenticate(), which
    django-axes needs, and only follows a `next` that stays on this site."""

    authentication_form = SignInForm
    redirect_authenticated_user = True
    template_name = "registration/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if settings.FRONTDESK_DEMO:
            context["demo_login"] = settings.DEMO_LOGIN
        return context


class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        session_key = request.session.session_key
        response = super().post(request, *args, **kwargs)
        if session_key:
            # This browser's open pages stop receiving events now (their sockets
            # were opened with the session that just ended).
            disconnect_session(session_key)
        messages.info(request, "You’re signed out. See you soon.")
        return response


# --- Password reset ------------------------------------------------------------------------------


# The reset pages' templates have their own names: django.contrib.admin, installed
# before us, ships registration/password_reset_*.html, which would win the lookup.


class ResetRequestView(auth_views.PasswordResetView):
    form_class = ResetRequestForm
    template_name = "registration/reset_request.html"
    subject_template_name = "emails/password_reset/subject.txt"
    email_template_name = "emails/password_reset/body.txt"
    html_email_template_name = "emails/password_reset/body.html"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: ResetRequestForm) -> HttpResponse:  # type: ignore[override]
        # PasswordResetView would build the link from the request's Host header,
        # which the sender of the request controls; links use the configured
        # public address instead.
        scheme, _, host = settings.PUBLIC_BASE_URL.partition("://")
        form.save(
            domain_override=host,
            use_https=scheme == "https",
            token_generator=self.token_generator,
            subject_template_name=self.subject_template_name,
            email_template_name=self.email_template_name,
            html_email_template_name=self.html_email_template_name,
            request=self.request,
            extra_email_context={
                "public_base_url": settings.PUBLIC_BASE_URL,
                "valid_hours": str(settings.PASSWORD_RESET_TIMEOUT // 3600),
            },
        )
        return HttpResponseRedirect(self.get_success_url())


class ResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/reset_sent.html"


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "registration/reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        # A used, expired or made-up link: the friendly page, as a 404.
        if not self.validlink:
            kwargs["status"] = 404
        return super().render_to_response(context, **kwargs)

    def form_valid(self, form: NewPasswordForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        # Whoever can read this mailbox has proved who they are: lift a lockout
        # from earlier failed sign-ins so the new password works straight away.
        reset_login_failures(username=form.user.email)
        return response


class ResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/reset_complete.html"


# --- Invitations ---------------------------------------------------------------------------------


def _invitation_gone(request: HttpRequest, exc: team.InvitationUnusable) -> HttpResponse:
    # 404 for a token we never issued, 410 for one that was ours; the page says the
    # same either way and names no workspace or person.
    status = 404 if exc.reason == "unknown" else 410
    return render(request, "accounts/invite_invalid.html", {"message": str(exc)}, status=status)


def _welcome(request: HttpRequest, membership: Any) -> HttpResponse:
    messages.success(
        request, f"Welcome to {membership.workspace.name}, {membership.first_name or 'friend'}!"
    )
    return redirect("core:home", ws=membership.workspace.slug)


@never_cache
@sensitive_post_parameters("password")
def accept_invite(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an emailed invitation: a new person picks a name and password; someone
    signed in with the invited address joins with one click."""
    try:
        invitation = team.access_invitation(token)
    except team.InvitationUnusable as exc:
        return _invitation_gone(request, exc)
    context: dict[str, Any] = {
        "invitation": invitation,
        "role_description": ROLE_DESCRIPTIONS[Role(invitation.role)],
    }

    if request.user.is_authenticated:
        if request.user.email.lower() != invitation.email.lower():
            return render(request, "accounts/accept_invite.html", context | {"mode": "mismatch"})
        if request.method == "POST":
            try:
                membership = team.accept_invitation(token, user=request.user)
            except team.InvitationUnusable as exc:
                return _invitation_gone(request, exc)
            return _welcome(request, membership)
        return render(request, "accounts/accept_invite.html", context | {"mode": "join"})

    if User.objects.filter(email__iexact=invitation.email).exists():
        login_url = f"{reverse('login')}?{urlencode({'next': request.path})}"
        return render(
            request,
            "accounts/accept_invite.html",
            context | {"mode": "sign-in", "login_url": login_url},
        )

    form = AcceptInvitationForm(
        request.POST or None,
        email=invitation.email,
        initial={"display_name": invitation.display_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership = team.accept_invitation(
                token,
                password=form.cleaned_data["password"],
                display_name=form.cleaned_data["display_name"],
            )
        except team.InvitationUnusable as exc:
            return _invitation_gone(request, exc)
        except ValidationError as exc:
            form.add_error("password", exc)
        except team.TeamError as exc:
            form.add_error(None, str(exc))
        else:
            login(request, membership.user, backend=_MODEL_BACKEND)
            return _welcome(request, membership)
    return render(
        request, "accounts/accept_invite.html", context | {"mode": "create", "form": form}
    )


# --- Team ----------------------------------------------------------------------------------------


def _render_team(
    request: WorkspaceRequest, *, invite_form: InviteForm | None = None, status: int = 200
) -> HttpResponse:
    me = request.membership
    can_manage = me.can(roles.MANAGE_TEAM)
    can_manage_owners = me.can(roles.MANAGE_OWNERS)
    everyone = list(queries.members(request.workspace))
    if can_manage and invite_form is None:
        invite_form = InviteForm(can_manage_owners=can_manage_owners)
    context = {
        "members": [m for m in everyone if m.is_active],
        "former_members": [m for m in everyone if not m.is_active] if can_manage else [],
        "invitations": list(queries.open_invitations(request.workspace)) if can_manage else [],
        "invite_form": invite_form,
        "can_manage": can_manage,
        "can_manage_owners": can_manage_owners,
        "role_choices": role_choices(can_manage_owners=can_manage_owners),
        "role_descriptions": [(Role(v).label, d) for v, d in ROLE_DESCRIPTIONS.items()],
        "ttl_days": settings.INVITATION_TTL_DAYS,
    }
    return render(request, "accounts/team.html", context, status=status)


def team_page(request: WorkspaceRequest) -> HttpResponse:
    """Everyone on the team; owners and admins also invite and manage from here."""
    return _render_team(request)


def _back_to_team(request: WorkspaceRequest) -> HttpResponse:
    return redirect("accounts:team", ws=request.workspace.slug)


@require_POST
@require_capability(roles.MANAGE_TEAM)
def invite(request: WorkspaceRequest) -> HttpResponse:
    form = InviteForm(request.POST, can_manage_owners=request.membership.can(roles.MANAGE_OWNERS))
    if form.is_valid():
        try:
            invitation, _ = team.invite_member(
                request.workspace,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                display_name=form.cleaned_data["display_name"],
                by=request.membership,
            )
        except team.TeamError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email}. "
                f"The link works for {settings.INVITATION_TTL_DAYS} days.",
            )
            return _back_to_team(request)
    return _render_team(request, invite_form=form, status=400)


@require_POST
@require_capability(roles.MANAGE_TEAM)
def member_role(request: WorkspaceRequest, pk: int) -> HttpResponse:
    membership = access_membership(request.workspace, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return _back_to_team(request)
    try:
        team.change_role(membership, role=form.cleaned_data["role"], by=request.membership)
    except team.TeamError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{membership.display_name} is now {membership.get_role_display().lower()}."
        )
    return _back_to_team(request)


@require_POST
@require_capability(roles.MANAGE_TEAM)
def member_deactivate(request: WorkspaceRequest, pk: int) -> HttpResponse:
    membership = access_membership(request.workspace, pk)
    try:
        team.deactivate_member(membership, by=request.membership)
    except team.TeamError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{membership.display_name} can no longer open {request.workspace.name}. "
            "Their past replies keep their name.",
        )
    return _back_to_team(request)


@require_POST
@require_capability(roles.MANAGE_TEAM)
def member_reactivate(request: WorkspaceRequest, pk: int) -> HttpResponse:
    membership = access_membership(request.workspace, pk)
    team.reactivate_member(membership, by=request.membership)
    messages.success(request, f"{membership.display_name} is back on the team.")
    return _back_to_team(request)


@require_POST
@require_capability(roles.MANAGE_TEAM)
def invitation_revoke(request: WorkspaceRequest, pk: int) -> HttpResponse:
    invitation = queries.access_invitation(request.workspace, pk)
    team.revoke_invitation(invitation, by=request.membership)
    messages.success(request, f"The invitation for {invitation.email} no longer works.")
    return _back_to_team(request)


@require_POST
@require_capability(roles.MANAGE_TEAM)
def invitation_resend(request: WorkspaceRequest, pk: int) -> HttpResponse:
    invitation = queries.access_invitation(request.workspace, pk)
    try:
        team.resend_invitation(invitation, by=request.membership)
    except team.TeamError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"A new link is on its way to {invitation.email}.")
    return _back_to_team(request)


# --- Profile -------------------------------------------------------------------------------------


def _profile_initial(membership: Any) -> dict[str, Any]:
    return {
        name: getattr(membership, name)
        for name in (
            "display_name",
            "title",
            "signature",
            "sms_sign_off",
            "mobile",
            "notify_by_email",
        )
    }


def _preview_member(membership: Any, data: Any) -> Any:
    # An unsaved copy carrying the typed values, so the preview uses the same
    # avatar partial (photo, initials and colour) as the real thing.
    preview = copy.copy(membership)
    for name in ("display_name", "title", "signature", "sms_sign_off"):
        if name in data:
            setattr(preview, name, str(data[name]).strip())
    preview.display_name = " ".join(preview.display_name.split()) or membership.display_name
    return preview


def profile(request: WorkspaceRequest) -> HttpResponse:
    """Your face to customers: name, title, photo, signatures, and email alerts."""
    membership = request.membership
    form = ProfileForm(
        request.POST or None, request.FILES or None, initial=_profile_initial(membership)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team.update_profile(
                membership,
                display_name=data["display_name"],
                title=data["title"],
                signature=data["signature"],
                sms_sign_off=data["sms_sign_off"],
                mobile=data["mobile"],
                photo=data["photo"],
                remove_photo=data["remove_photo"],
                notify_by_email=data["notify_by_email"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Profile saved. New replies carry your changes.")
            return redirect("accounts:profile", ws=request.workspace.slug)
    preview = _preview_member(membership, request.POST) if request.method == "POST" else membership
    status = 400 if form.errors else 200
    return render(
        request, "accounts/profile.html", {"form": form, "preview": preview}, status=status
    )


@require_POST
def profile_preview(request: WorkspaceRequest) -> HttpResponse:
    """The signature preview for the values typed so far (htmx, nothing saved)."""
    preview = _preview_member(request.membership, request.POST)
    return render(request, "accounts/_signature_preview.html", {"preview": preview})
