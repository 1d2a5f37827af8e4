"""Settings → Channels → an email channel → its IMAP mailboxes: parse, authorise, call
one action, render.

Everyone in the workspace may look (state, errors, watermark); only members who can
`manage_channels` change anything, and secrets are never sent back to the browser.
The OAuth2 sign-in keeps its state and PKCE verifier in the session, bound to the
mailbox and the member who started it.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from frontdesk.channels.actions import ChannelSetupError
from frontdesk.channels.email import imap_actions
from frontdesk.channels.email.imap_forms import ImapMailboxForm, ReauthoriseForm
from frontdesk.channels.email.imap_models import ImapMailbox
from frontdesk.connectors.email import oauth
from frontdesk.core import roles
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import Workspace
from frontdesk.core.permissions import require, require_capability
from frontdesk.inbox.models import Channel

FORM_ERRORS = "Nothing was saved: please check the highlighted fields."
SECRETS = ("password", "oauth_client_secret", "oauth_refresh_token", "refresh_token")
SESSION_KEY = "imap_oauth"


# --- reads -----------------------------------------------------------------------------


def access_email_channel(workspace: Workspace, pk: int) -> Channel:
    return get_object_or_404(Channel.objects.for_workspace(workspace), pk=pk, kind="email")


def access_imap_mailbox(workspace: Workspace, pk: int) -> ImapMailbox:
    return get_object_or_404(
        ImapMailbox.objects.for_workspace(workspace).select_related("channel"), pk=pk
    )


def _apply_error(form: Any, exc: ChannelSetupError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


def _to_mailbox(request: WorkspaceRequest, mailbox: ImapMailbox) -> HttpResponse:
    return redirect("channels:email-imap-detail", ws=request.workspace.slug, pk=mailbox.pk)


def redirect_uri(workspace: Workspace) -> str:
    """The address the provider sends the admin back to (register it with the client)."""
    path = reverse("channels:email-imap-oauth-callback", kwargs={"ws": workspace.slug})
    return settings.PUBLIC_BASE_URL + path


def _initial(mailbox: ImapMailbox) -> dict[str, Any]:
    names = (
        *("host", "port", "security", "username", "folder", "auth", "delete_after_import"),
        "import_existing",
        *("oauth_client_id", "oauth_token_url", "oauth_authorize_url", "oauth_scope"),
    )
    return {name: getattr(mailbox, name) for name in names}


# --- a channel's mailboxes ---------------------------------------------------------------


@sensitive_post_parameters(*SECRETS)
def imap_list(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """The channel's IMAP mailboxes, and (for admins) the form to connect another."""
    channel = access_email_channel(request.workspace, pk)
    form = ImapMailboxForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        require(request.membership, roles.MANAGE_CHANNELS)
        if form.is_valid():
            try:
                mailbox = imap_actions.add_imap_mailbox(
                    channel, settings=form.mailbox_settings(), by=request.membership
                )
            except ChannelSetupError as exc:
                _apply_error(form, exc)
            else:
                messages.success(
                    request,
                    f"{mailbox} is connected; its mail is read within a minute."
                    if not mailbox.needs_reauth
                    else f"{mailbox} is saved: sign in with the provider to start reading it.",
                )
                return _to_mailbox(request, mailbox)
        messages.error(request, FORM_ERRORS)
        status = 400
    mailboxes = ImapMailbox.objects.for_workspace(request.workspace).filter(channel=channel)
    return render(
        request,
        "email/imap/list.html",
        {
            "channel": channel,
            "mailboxes": mailboxes.order_by("username", "folder", "pk"),
            "form": form,
            "can_manage": request.membership.can(roles.MANAGE_CHANNELS),
        },
        status=status,
    )


# --- one mailbox -------------------------------------------------------------------------


def _render_detail(
    request: WorkspaceRequest, mailbox: ImapMailbox, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context = {
        "mailbox": mailbox,
        "channel": mailbox.channel,
        "can_manage": request.membership.can(roles.MANAGE_CHANNELS),
        "form": forms.get("form") or ImapMailboxForm(initial=_initial(mailbox), editing=True),
        "reauth_form": forms.get("reauth_form") or ReauthoriseForm(),
        "redirect_uri": redirect_uri(request.workspace),
        "has_password": bool(mailbox.password),
        "has_refresh_token": bool(mailbox.oauth_refresh_token),
    }
    return render(request, "email/imap/detail.html", context, status=status)


@sensitive_post_parameters(*SECRETS)
def imap_detail(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """A mailbox: is it read, how far (UIDVALIDITY + UID), what went wrong; its settings."""
    mailbox = access_imap_mailbox(request.workspace, pk)
    if request.method != "POST":
        return _render_detail(request, mailbox)
    require(request.membership, roles.MANAGE_CHANNELS)
    form = ImapMailboxForm(request.POST, editing=True)
    if form.is_valid():
        try:
            imap_actions.update_imap_mailbox(
                mailbox, settings=form.mailbox_settings(), by=request.membership
            )
        except ChannelSetupError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "Mailbox settings saved.")
            return _to_mailbox(request, mailbox)
    mailbox.refresh_from_db()
    messages.error(request, FORM_ERRORS)
    return _render_detail(request, mailbox, status=400, form=form)


@sensitive_post_parameters(*SECRETS)
@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def imap_reauthorise(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Re-authorise with a refresh token pasted by the admin (checked first)."""
    mailbox = access_imap_mailbox(request.workspace, pk)
    form = ReauthoriseForm(request.POST)
    if form.is_valid():
        try:
            imap_actions.reauthorise_with_refresh_token(
                mailbox, refresh_token=form.cleaned_data["refresh_token"], by=request.membership
            )
        except ChannelSetupError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "Re-authorised: the mailbox is read again.")
            return _to_mailbox(request, mailbox)
    mailbox.refresh_from_db()
    messages.error(request, "The mailbox was not re-authorised.")
    return _render_detail(request, mailbox, status=400, reauth_form=form)


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def imap_oauth_start(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Send the admin to the provider's sign-in page (authorization code + PKCE)."""
    mailbox = access_imap_mailbox(request.workspace, pk)
    state = secrets.token_urlsafe(24)
    verifier, challenge = oauth.new_pkce_pair()
    try:
        url = imap_actions.oauth_sign_in_url(
            mailbox,
            redirect_uri=redirect_uri(request.workspace),
            state=state,
            code_challenge=challenge,
            by=request.membership,
        )
    except (ChannelSetupError, oauth.OAuthError) as exc:
        messages.error(request, str(exc))
        return _to_mailbox(request, mailbox)
    pending = dict(request.session.get(SESSION_KEY) or {})
    # One pending sign-in per mailbox; a few at most.
    pending = {k: v for k, v in pending.items() if v.get("mailbox") != mailbox.pk}
    pending[state] = {"mailbox": mailbox.pk, "verifier": verifier, "member": request.membership.pk}
    request.session[SESSION_KEY] = dict(list(pending.items())[-5:])
    return HttpResponseRedirect(url)


@require_GET
@require_capability(roles.MANAGE_CHANNELS)
def imap_oauth_callback(request: WorkspaceRequest) -> HttpResponse:
    """Where the provider sends the admin back: check the state, exchange the code."""
    state = request.GET.get("state", "")
    pending = dict(request.session.get(SESSION_KEY) or {})
    started = pending.pop(state, None) if state else None
    request.session[SESSION_KEY] = pending
    if not started or started.get("member") != request.membership.pk:
        messages.error(
            request, "That sign-in was not started here (or was already used): start it again."
        )
        return redirect("channels:list", ws=request.workspace.slug)
    mailbox = access_imap_mailbox(request.workspace, int(started["mailbox"]))
    if request.GET.get("error"):
        error = request.GET.get("error_description") or request.GET["error"]
        messages.error(request, f"The provider did not allow access: {error[:200]}")
        return _to_mailbox(request, mailbox)
    try:
        imap_actions.complete_oauth_sign_in(
            mailbox,
            code=request.GET.get("code", ""),
            redirect_uri=redirect_uri(request.workspace),
            code_verifier=started["verifier"],
            by=request.membership,
        )
    except ChannelSetupError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Signed in: the mailbox is read again.")
    return _to_mailbox(request, mailbox)


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def imap_poll_now(request: WorkspaceRequest, pk: int) -> HttpResponse:
    mailbox = access_imap_mailbox(request.workspace, pk)
    try:
        imap_actions.request_poll(mailbox, by=request.membership)
    except ChannelSetupError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The mailbox is being read now.")
    return _to_mailbox(request, mailbox)


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def imap_pause(request: WorkspaceRequest, pk: int) -> HttpResponse:
    mailbox = access_imap_mailbox(request.workspace, pk)
    paused = request.POST.get("paused") == "true"
    imap_actions.set_mailbox_paused(mailbox, paused=paused, by=request.membership)
    messages.success(request, "Paused." if paused else "Resumed.")
    return _to_mailbox(request, mailbox)


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def imap_delete(request: WorkspaceRequest, pk: int) -> HttpResponse:
    mailbox = access_imap_mailbox(request.workspace, pk)
    channel_pk = mailbox.channel_id
    imap_actions.delete_imap_mailbox(mailbox, by=request.membership)
    messages.success(request, "The mailbox is no longer read; its imported mail stays.")
    return redirect("channels:email-imap-list", ws=request.workspace.slug, pk=channel_pk)
