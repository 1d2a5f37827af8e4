"""OAuth2 mailboxes: token refresh against a loopback token endpoint (RFC 6749 wire
format), rotation stored, a broken grant marks the mailbox, and XOAUTH2 sign-in
against the real Dovecot (its oauth2 passdb asks the same provider, RFC 7662)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.channels.email import imap_poll
from frontdesk.channels.email.imap_models import ImapState
from frontdesk.channels.email.tests.conftest import make_raw
from frontdesk.connectors.email import imap, oauth
from frontdesk.inbox.models import InboundEvent

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(oauth_server, **overrides) -> oauth.OAuthClient:
    values = {
        "token_url": oauth_server.url + "/token",
        "authorize_url": oauth_server.url + "/authorize",
        "client_id": "frontdesk-client",
        "client_secret": "client-secret-123",
        "scope": "https://mail.example/imap",
    } | overrides
    return oauth.OAuthClient(**values)


@pytest.fixture
def make_oauth_mailbox(make_mailbox, oauth_server, oauth_provider, imap_user):
    def make(**fields):
        values = {
            "auth": "oauth2",
            "password": "",
            "oauth_token_url": oauth_server.url + "/token",
            "oauth_authorize_url": oauth_server.url + "/authorize",
            "oauth_client_id": "frontdesk-client",
            "oauth_client_secret": "client-secret-123",
            "oauth_refresh_token": oauth_provider.grant(imap_user.username, "frontdesk-client"),
        } | fields
        return make_mailbox(**values)

    return make


# --- the token endpoint's wire format -----------------------------------------------------


def test_refresh_posts_the_rfc_6749_form_and_reads_the_answer(oauth_server, oauth_provider):
    refresh = oauth_provider.grant("desk@riverside.example", "frontdesk-client")
    now = timezone.now()

    tokens = oauth.refresh_access_token(client_for(oauth_server), refresh, now=now)

    (request,) = oauth_provider.token_requests()
    assert request["content_type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {
        "grant_type": "refresh_token",
        "refresh_token": refresh,
        "scope": "https://mail.example/imap",
        "client_id": "frontdesk-client",
        "client_secret": "client-secret-123",
    }
    assert tokens.access_token in oauth_provider.access_tokens
    assert tokens.expires_at == now + timedelta(seconds=3600)
    assert tokens.refresh_token == ""  # not rotated: keep the old one
    assert "client-secret-123" not in repr(client_for(oauth_server))
    assert tokens.access_token not in repr(tokens)


def test_a_revoked_grant_is_invalid_grant_and_needs_re_authorisation(oauth_server, oauth_provider):
    refresh = oauth_provider.grant("desk@riverside.example", "frontdesk-client")
    oauth_provider.revoke_all("desk@riverside.example")
    with pytest.raises(oauth.OAuthError) as refused:
        oauth.refresh_access_token(client_for(oauth_server), refresh, now=timezone.now())
    assert refused.value.code == "invalid_grant"
    assert refused.value.needs_reauthorisation
    assert "expired or revoked" in refused.value.message


def test_a_wrong_client_secret_needs_re_authorisation(oauth_server, oauth_provider):
    refresh = oauth_provider.grant("desk@riverside.example", "frontdesk-client")
    with pytest.raises(oauth.OAuthError) as refused:
        oauth.refresh_access_token(
            client_for(oauth_server, client_secret="wrong"), refresh, now=timezone.now()
        )
    assert refused.value.code == "invalid_client"
    assert refused.value.needs_reauthorisation


def test_a_provider_outage_is_temporary(oauth_server, oauth_provider):
    refresh = oauth_provider.grant("desk@riverside.example", "frontdesk-client")
    oauth_provider.fail_next = (503, {"error": "temporarily_unavailable"})
    with pytest.raises(oauth.OAuthError) as failed:
        oauth.refresh_access_token(client_for(oauth_server), refresh, now=timezone.now())
    assert not failed.value.permanent
    assert not failed.value.needs_reauthorisation


def test_xoauth2_initial_response_is_the_documented_string():
    assert imap.xoauth2_string("desk@example.org", "ya29.token") == (
        b"user=desk@example.org\x01auth=Bearer ya29.token\x01\x01"
    )


# --- polling with OAuth2 against Dovecot ---------------------------------------------------


def test_an_expired_token_is_refreshed_and_the_mailbox_read_by_xoauth2(
    imap_settings, imap_user, oauth_provider, make_oauth_mailbox
):
    imap_user.append(make_raw(1), make_raw(2))
    mailbox = make_oauth_mailbox(
        oauth_access_token="at-long-expired",
        oauth_access_token_expires_at=timezone.now() - timedelta(hours=1),
    )

    report = imap_poll.poll_mailbox(mailbox.pk)

    assert (report.stored, report.error) == (2, "")
    (token_request,) = oauth_provider.token_requests()
    assert token_request["form"]["grant_type"] == "refresh_token"
    mailbox.refresh_from_db()
    assert mailbox.oauth_access_token in oauth_provider.access_tokens
    assert mailbox.oauth_access_token_expires_at > timezone.now()
    # Dovecot asked the provider about exactly that token (RFC 7662 introspection).
    introspected = [
        r["form"]["token"] for r in oauth_provider.requests if r["path"] == "/introspect"
    ]
    assert introspected == [mailbox.oauth_access_token]
    assert "method=XOAUTH2" in imap_user.server.log()

    # A valid stored token is used as it is: no second trip to the token endpoint.
    imap_user.append(make_raw(3))
    assert imap_poll.poll_mailbox(mailbox.pk).stored == 1
    assert len(oauth_provider.token_requests()) == 1


def test_a_rotated_refresh_token_is_stored(
    imap_settings, imap_user, oauth_provider, make_oauth_mailbox
):
    oauth_provider.rotate = True
    imap_user.append(make_raw(1))
    mailbox = make_oauth_mailbox()
    first_refresh = mailbox.oauth_refresh_token

    assert imap_poll.poll_mailbox(mailbox.pk).stored == 1

    mailbox.refresh_from_db()
    assert mailbox.oauth_refresh_token != first_refresh
    assert oauth_provider.refresh_tokens[first_refresh].revoked
    assert not oauth_provider.refresh_tokens[mailbox.oauth_refresh_token].revoked
    # The next refresh works with the stored (rotated) token.
    mailbox.oauth_access_token_expires_at = timezone.now() - timedelta(minutes=1)
    mailbox.save()
    imap_user.append(make_raw(2))
    assert imap_poll.poll_mailbox(mailbox.pk).stored == 1


def test_a_broken_grant_marks_the_mailbox_with_the_reason(
    imap_settings, imap_user, oauth_provider, make_oauth_mailbox, caplog
):
    imap_user.append(make_raw(1))
    mailbox = make_oauth_mailbox()
    secret_refresh = mailbox.oauth_refresh_token
    oauth_provider.revoke_all(imap_user.username)

    with caplog.at_level(logging.DEBUG):
        report = imap_poll.poll_mailbox(mailbox.pk)

    assert report.stored == 0
    mailbox.refresh_from_db()
    assert mailbox.state == ImapState.NEEDS_REAUTH
    assert "invalid_grant" in mailbox.last_error
    assert "expired or revoked" in mailbox.last_error
    assert InboundEvent.objects.count() == 0
    assert imap_poll.poll_mailbox(mailbox.pk).skipped == ImapState.NEEDS_REAUTH
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in (secret_refresh, "client-secret-123"):
        assert secret not in logged
        assert secret not in mailbox.last_error


def test_a_token_the_server_refuses_early_is_refreshed_once(
    imap_settings, imap_user, oauth_provider, make_oauth_mailbox
):
    """A stored access token that has not expired by its clock but that the provider
    revoked: Dovecot refuses it, the poll refreshes once and signs in."""
    imap_user.append(make_raw(1))
    mailbox = make_oauth_mailbox(
        oauth_access_token="at-revoked-early",
        oauth_access_token_expires_at=timezone.now() + timedelta(hours=1),
    )
    report = imap_poll.poll_mailbox(mailbox.pk)
    assert (report.stored, report.error) == (1, "")
    assert len(oauth_provider.token_requests()) == 1


def test_a_provider_outage_keeps_the_mailbox_retrying(
    imap_settings, imap_user, oauth_provider, make_oauth_mailbox
):
    imap_user.append(make_raw(1))
    mailbox = make_oauth_mailbox()
    oauth_provider.fail_next = (500, {"error": "server_error"})
    imap_poll.poll_mailbox(mailbox.pk)
    mailbox.refresh_from_db()
    assert mailbox.state == ImapState.FAILING
    assert imap_poll.poll_mailbox(mailbox.pk).stored == 1


def test_the_sign_in_address_asks_for_a_code_with_pkce_and_offline_access(oauth_server):
    import base64
    import hashlib
    from urllib.parse import parse_qs, urlsplit

    verifier, challenge = oauth.new_pkce_pair()
    url = oauth.authorization_url(
        client_for(oauth_server),
        redirect_uri="https://desk.example/cb",
        state="state-1",
        code_challenge=challenge,
        login_hint="desk@riverside.example",
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(oauth_server.url + "/authorize?")
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["https://desk.example/cb"]
    assert query["state"] == ["state-1"]
    assert query["code_challenge_method"] == ["S256"]
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert query["code_challenge"] == [expected.decode()]
    assert query["access_type"] == ["offline"]
    assert "client_secret" not in query
