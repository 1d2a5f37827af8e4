"""OAuth2 for mailboxes (XOAUTH2 on Gmail and Microsoft 365): refresh an access token,
exchange an authorization code, build the sign-in address.

Pure: no database, no Frontdesk app; HTTP through `connectors/http.py`.

Wire format (RFC 6749): the token endpoint takes a form POST —
`grant_type=refresh_token&refresh_token=…` (§6) or
`grant_type=authorization_code&code=…&redirect_uri=…` (§4.1.3), plus `code_verifier`
with PKCE (RFC 7636) — and the client's id and secret as form fields
(`client_secret_post`, which Google and Microsoft both accept). Success (§5.1) is JSON
`{"access_token", "token_type": "Bearer", "expires_in", "refresh_token"?, "scope"?}`;
a provider that rotates refresh tokens (Microsoft always, Google sometimes) sends a new
`refresh_token`, and the old one may stop working, so the caller must store it. Errors
(§5.2) are 400 (401 for a bad client) with `{"error", "error_description"?}`;
`invalid_grant` means the grant was revoked or expired: only a person signing in again
can fix it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from frontdesk.connectors import http
from frontdesk.connectors.base import ConnectorError

# Errors that no retry can fix: the grant or the client registration is wrong.
REAUTHORISE_ERRORS = frozenset(
    {"invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope"}
)
# Refresh this long before the provider's expiry, so a token never dies mid-poll.
EXPIRY_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True, kw_only=True)
class OAuthClient:
    """A registered OAuth2 client and the provider's endpoints."""

    token_url: str
    client_id: str
    client_secret: str = ""
    authorize_url: str = ""
    scope: str = ""

    def __repr__(self) -> str:  # never print the secret
        return f"OAuthClient(token_url={self.token_url!r}, client_id={self.client_id!r})"


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint granted. `refresh_token` is "" when the provider kept
    the old one; `expires_at` None when it did not say."""

    access_token: str
    expires_at: datetime | None
    refresh_token: str = ""
    scope: str = ""

    def __repr__(self) -> str:
        return f"TokenSet(expires_at={self.expires_at!r}, rotated={bool(self.refresh_token)})"


class OAuthError(ConnectorError):
    """The token endpoint refused (`code` is RFC 6749's error) or could not be reached.
    `needs_reauthorisation`: a person must sign in again (or fix the client)."""

    @property
    def needs_reauthorisation(self) -> bool:
        return self.code in REAUTHORISE_ERRORS


def needs_refresh(expires_at: datetime | None, *, now: datetime) -> bool:
    """Whether an access token expiring at `expires_at` should be refreshed now."""
    return expires_at is None or expires_at - EXPIRY_MARGIN <= now


def refresh_access_token(client: OAuthClient, refresh_token: str, *, now: datetime) -> TokenSet:
    """A new access token for `refresh_token` (and the rotated refresh token, if any)."""
    if not refresh_token:
        raise OAuthError(
            "There is no refresh token: sign in again.", permanent=True, code="invalid_grant"
        )
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if client.scope:
        form["scope"] = client.scope
    return _token_request(client, form, now=now)


def exchange_code(
    client: OAuthClient, *, code: str, redirect_uri: str, code_verifier: str, now: datetime
) -> TokenSet:
    """Trade an authorization code (from the provider's redirect) for tokens."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    tokens = _token_request(client, form, now=now)
    if not tokens.refresh_token:
        raise OAuthError(
            "The provider granted no refresh token, so the mailbox could not be read "
            "later: allow offline access (Google: access_type=offline, prompt=consent; "
            "Microsoft: the offline_access scope) and sign in again.",
            permanent=True,
            code="invalid_grant",
        )
    return tokens


def new_pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636 §4.1–4.2."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(
    client: OAuthClient, *, redirect_uri: str, state: str, code_challenge: str, login_hint: str = ""
) -> str:
    """Where to send the admin to sign in and allow access (RFC 6749 §4.1.1)."""
    if not client.authorize_url:
        raise OAuthError(
            "No authorization endpoint is configured.", permanent=True, code="not_configured"
        )
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        # Google only grants a refresh token with these; others ignore them.
        "access_type": "offline",
        "prompt": "consent",
    }
    if client.scope:
        params["scope"] = client.scope
    if login_hint:
        params["login_hint"] = login_hint
    joiner = "&" if urlsplit(client.authorize_url).query else "?"
    return client.authorize_url + joiner + urlencode(params)


def _token_request(client: OAuthClient, form: dict[str, str], *, now: datetime) -> TokenSet:
    form = {**form, "client_id": client.client_id}
    if client.client_secret:
        form["client_secret"] = client.client_secret
    parts = urlsplit(client.token_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise OAuthError(
            "The token endpoint is not an http(s) URL.", permanent=True, code="invalid_client"
        )
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        with http.client("oauth2", base_url=origin) as session:
            response = session.post(path or "/", data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise OAuthError(
            f"The token endpoint could not be reached: {type(exc).__name__}", permanent=False
        ) from None
    body = _json(response)
    if response.status_code >= 500 or response.status_code == 429:
        raise OAuthError(
            f"The token endpoint answered {response.status_code}; will retry.", permanent=False
        )
    if response.status_code != 200 or "error" in body:
        error = str(body.get("error") or f"http_{response.status_code}")
        description = str(body.get("error_description") or "")[:300]
        reason = f"{error}: {description}" if description else error
        raise OAuthError(
            f"The token endpoint refused: {reason}",
            permanent=error in REAUTHORISE_ERRORS or 400 <= response.status_code < 500,
            code=error,
        )
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise OAuthError("The token endpoint answered without an access token.", permanent=False)
    token_type = str(body.get("token_type", "Bearer"))
    if token_type.lower() != "bearer":
        raise OAuthError(f"Unsupported token type {token_type!r}.", permanent=True)
    expires_at = None
    try:
        if body.get("expires_in") is not None:
            expires_at = now + timedelta(seconds=int(body["expires_in"]))
    except (TypeError, ValueError):
        expires_at = None
    refresh = body.get("refresh_token")
    return TokenSet(
        access_token=access_token,
        expires_at=expires_at,
        refresh_token=refresh if isinstance(refresh, str) else "",
        scope=str(body.get("scope") or ""),
    )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
