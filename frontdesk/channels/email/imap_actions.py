"""Writes behind the IMAP mailbox pages: connect a mailbox, change it, re-authorise it,
pause it, ask for a poll now.

Every action takes the acting member as `by` and checks `manage_channels` itself.
Secrets given as None are kept as stored (the pages never show them back).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.channels.actions import ChannelSetupError
from frontdesk.channels.email.imap_models import ImapAuth, ImapMailbox, ImapSecurity, ImapState
from frontdesk.connectors.email import oauth
from frontdesk.core import roles
from frontdesk.core.models import Membership
from frontdesk.core.permissions import require
from frontdesk.inbox.models import Channel

EMAIL_KIND = "email"


@dataclass(frozen=True, kw_only=True)
class MailboxSettings:
    """What connects a mailbox; values already validated by the form."""

    host: str
    port: int
    security: str
    username: str
    auth: str
    folder: str = "INBOX"
    delete_after_import: bool = False
    import_existing: bool = True
    oauth_token_url: str = ""
    oauth_authorize_url: str = ""
    oauth_client_id: str = ""
    oauth_scope: str = ""
    # None: keep what is stored.
    password: str | None = None
    oauth_client_secret: str | None = None
    oauth_refresh_token: str | None = None


def _require_manager(by: Membership, workspace_id: int) -> None:
    require(by, roles.MANAGE_CHANNELS, workspace_id=workspace_id)


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check(settings: MailboxSettings) -> None:
    if settings.security == ImapSecurity.NONE and not is_loopback(settings.host):
        raise ChannelSetupError(
            "Without TLS the password would cross the network readable: choose TLS or "
            "STARTTLS (unencrypted IMAP is only for a server on this machine).",
            field="security",
        )
    if settings.auth == ImapAuth.OAUTH2 and not (
        settings.oauth_token_url and settings.oauth_client_id
    ):
        raise ChannelSetupError(
            "OAuth2 needs the provider's token endpoint and your client id.",
            field="oauth_token_url",
        )


def _apply(mailbox: ImapMailbox, settings: MailboxSettings) -> list[str]:
    """Copy `settings` onto the row; returns whether the account (and so the watermark's
    meaning) changed, as the list of changed identity fields."""
    identity = [
        name
        for name in ("host", "username", "folder")
        if getattr(mailbox, name) != getattr(settings, name)
    ]
    for name in (
        "host",
        "port",
        "security",
        "username",
        "auth",
        "folder",
        "delete_after_import",
        "import_existing",
        "oauth_token_url",
        "oauth_authorize_url",
        "oauth_client_id",
        "oauth_scope",
    ):
        setattr(mailbox, name, getattr(settings, name))
    for name in ("password", "oauth_client_secret", "oauth_refresh_token"):
        value = getattr(settings, name)
        if value is not None:
            setattr(mailbox, name, value)
    return identity


@transaction.atomic
def add_imap_mailbox(channel: Channel, *, settings: MailboxSettings, by: Membership) -> ImapMailbox:
    """Connect an IMAP folder to an email channel. The first poll (within a minute, or
    at once with `request_poll`) imports what the folder already holds."""
    _require_manager(by, channel.workspace_id)
    if channel.kind != EMAIL_KIND:
        raise ChannelSetupError("Only an email channel can read a mailbox.")
    _check(settings)
    if settings.auth == ImapAuth.PASSWORD and not settings.password:
        raise ChannelSetupError("Give the mailbox's password.", field="password")
    mailbox = ImapMailbox(workspace_id=channel.workspace_id, channel=channel)
    _apply(mailbox, settings)
    if settings.auth == ImapAuth.OAUTH2 and not mailbox.oauth_refresh_token:
        # Connected, but it cannot be read until someone signs in with the provider.
        mailbox.state = ImapState.NEEDS_REAUTH
        mailbox.last_error = "Sign in with the provider to allow Frontdesk to read this mailbox."
    try:
        with transaction.atomic():
            mailbox.save()
    except IntegrityError:
        raise ChannelSetupError(
            "This folder of this mailbox is already connected to the channel.", field="folder"
        ) from None
    return mailbox


@transaction.atomic
def update_imap_mailbox(
    mailbox: ImapMailbox, *, settings: MailboxSettings, by: Membership
) -> ImapMailbox:
    """Change how a mailbox is reached. Another host, user or folder is another mailbox:
    its watermark starts again (receive_raw's dedupe keeps mail stored once)."""
    _require_manager(by, mailbox.workspace_id)
    _check(settings)
    identity = _apply(mailbox, settings)
    if identity:
        mailbox.uidvalidity = None
        mailbox.last_uid = 0
    if mailbox.state in (ImapState.NEEDS_REAUTH, ImapState.FAILING) and (
        settings.password or settings.oauth_refresh_token or identity
    ):
        # New credentials or a new place: worth trying again.
        mailbox.state = ImapState.ACTIVE
        mailbox.last_error = ""
    try:
        with transaction.atomic():
            mailbox.save()
    except IntegrityError:
        raise ChannelSetupError(
            "This folder of this mailbox is already connected to the channel.", field="folder"
        ) from None
    return mailbox


def _oauth_client(mailbox: ImapMailbox) -> oauth.OAuthClient:
    return oauth.OAuthClient(
        token_url=mailbox.oauth_token_url,
        authorize_url=mailbox.oauth_authorize_url,
        client_id=mailbox.oauth_client_id,
        client_secret=mailbox.oauth_client_secret,
        scope=mailbox.oauth_scope,
    )


def _store_grant(mailbox: ImapMailbox, tokens: oauth.TokenSet, *, refresh_token: str) -> None:
    mailbox.oauth_refresh_token = tokens.refresh_token or refresh_token
    mailbox.oauth_access_token = tokens.access_token
    mailbox.oauth_access_token_expires_at = tokens.expires_at
    mailbox.state = ImapState.ACTIVE
    mailbox.last_error = ""
    mailbox.save()


def reauthorise_with_refresh_token(
    mailbox: ImapMailbox, *, refresh_token: str, by: Membership
) -> ImapMailbox:
    """Store a new refresh token, after checking it at the token endpoint (a token that
    does not work is refused, and nothing changes)."""
    _require_manager(by, mailbox.workspace_id)
    if not mailbox.uses_oauth:
        raise ChannelSetupError("This mailbox signs in with a password.")
    refresh_token = refresh_token.strip()
    if not refresh_token:
        raise ChannelSetupError("Paste the new refresh token.", field="refresh_token")
    try:
        tokens = oauth.refresh_access_token(
            _oauth_client(mailbox), refresh_token, now=timezone.now()
        )
    except oauth.OAuthError as exc:
        raise ChannelSetupError(
            f"The provider did not accept it: {exc.message}", field="refresh_token"
        ) from None
    _store_grant(mailbox, tokens, refresh_token=refresh_token)
    return mailbox


def oauth_sign_in_url(
    mailbox: ImapMailbox, *, redirect_uri: str, state: str, code_challenge: str, by: Membership
) -> str:
    """Where to send the admin to sign in to the provider for this mailbox."""
    _require_manager(by, mailbox.workspace_id)
    if not mailbox.uses_oauth or not mailbox.oauth_authorize_url:
        raise ChannelSetupError(
            "Give the provider's authorization endpoint first.", field="oauth_authorize_url"
        )
    return oauth.authorization_url(
        _oauth_client(mailbox),
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=code_challenge,
        login_hint=mailbox.username,
    )


def complete_oauth_sign_in(
    mailbox: ImapMailbox, *, code: str, redirect_uri: str, code_verifier: str, by: Membership
) -> ImapMailbox:
    """Exchange the provider's authorization code for tokens and store them."""
    _require_manager(by, mailbox.workspace_id)
    try:
        tokens = oauth.exchange_code(
            _oauth_client(mailbox),
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
            now=timezone.now(),
        )
    except oauth.OAuthError as exc:
        raise ChannelSetupError(f"Signing in did not work: {exc.message}") from None
    _store_grant(mailbox, tokens, refresh_token="")
    return mailbox


def set_mailbox_paused(mailbox: ImapMailbox, *, paused: bool, by: Membership) -> ImapMailbox:
    """Stop or resume reading a mailbox (its mail waits on the server meanwhile)."""
    _require_manager(by, mailbox.workspace_id)
    if paused:
        mailbox.state = ImapState.PAUSED
    elif mailbox.state == ImapState.PAUSED:
        mailbox.state = ImapState.ACTIVE
    mailbox.save(update_fields=["state", "updated_at"])
    return mailbox


def request_poll(mailbox: ImapMailbox, *, by: Membership) -> None:
    """Read the mailbox now (a task, after commit) instead of within the minute."""
    _require_manager(by, mailbox.workspace_id)
    if mailbox.state in (ImapState.NEEDS_REAUTH, ImapState.PAUSED):
        raise ChannelSetupError(
            "Re-authorise the mailbox first."
            if mailbox.needs_reauth
            else "Resume the mailbox first."
        )
    from frontdesk.channels.email import imap_poll

    pk = mailbox.pk
    transaction.on_commit(lambda: imap_poll.poll_imap_mailbox(pk))


def delete_imap_mailbox(mailbox: ImapMailbox, *, by: Membership) -> None:
    """Stop reading a mailbox and forget its credentials (imported mail stays)."""
    _require_manager(by, mailbox.workspace_id)
    mailbox.delete()
