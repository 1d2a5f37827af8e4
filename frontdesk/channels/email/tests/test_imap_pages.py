"""The IMAP mailbox pages: connect, see the state, re-authorise; secrets never shown."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from frontdesk.channels.email import imap_poll
from frontdesk.channels.email.imap_models import ImapMailbox, ImapState
from frontdesk.channels.email.tests.conftest import make_raw
from frontdesk.inbox.models import InboundEvent

pytestmark = pytest.mark.django_db(transaction=True)

BASE = "/w/riverside/settings/channels/email/imap"


def new_mailbox_form(imap_user, **fields):
    return {
        "host": "127.0.0.1",
        "port": imap_user.server.port,
        "security": "none",
        "username": imap_user.username,
        "folder": "INBOX",
        "auth": "password",
        "password": imap_user.password,
        "import_existing": "on",
    } | fields


def test_an_admin_connects_a_mailbox_and_its_mail_arrives(
    imap_settings, imap_user, email_channel, cast, client_for
):
    imap_user.append(make_raw(1), make_raw(2))
    browser = client_for(cast["admin"])

    response = browser.post(f"{BASE}/channel/{email_channel.pk}/", new_mailbox_form(imap_user))

    assert response.status_code == 302
    mailbox = ImapMailbox.objects.get(channel=email_channel)
    assert response["Location"] == f"{BASE}/{mailbox.pk}/"
    assert (mailbox.username, mailbox.password) == (imap_user.username, imap_user.password)

    response = browser.post(f"{BASE}/{mailbox.pk}/poll/")  # tasks run inline in tests
    assert response.status_code == 302
    assert InboundEvent.objects.filter(channel=email_channel).count() == 2

    page = browser.get(f"{BASE}/{mailbox.pk}/").content.decode()
    assert imap_user.password not in page
    assert "2 messages" in page
    assert "UID 2 (UIDVALIDITY" in page
    listing = browser.get(f"{BASE}/channel/{email_channel.pk}/").content.decode()
    assert imap_user.username in listing and imap_user.password not in listing


def test_saving_without_a_password_keeps_the_stored_one(
    imap_settings, imap_user, make_mailbox, cast, client_for
):
    mailbox = make_mailbox()
    browser = client_for(cast["admin"])
    form = new_mailbox_form(imap_user, password="", delete_after_import="on")
    response = browser.post(f"{BASE}/{mailbox.pk}/", form)
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.password == imap_user.password
    assert mailbox.delete_after_import


def test_unencrypted_imap_to_another_machine_is_refused(
    imap_settings, imap_user, email_channel, cast, client_for
):
    form = new_mailbox_form(imap_user, host="imap.example.org")
    response = client_for(cast["admin"]).post(f"{BASE}/channel/{email_channel.pk}/", form)
    assert response.status_code == 400
    assert "Without TLS" in response.content.decode()
    assert not ImapMailbox.objects.exists()
    # The typed password is not sent back either.
    assert imap_user.password not in response.content.decode()


def test_agents_see_the_state_but_cannot_change_it_and_outsiders_see_nothing(
    imap_settings, make_mailbox, cast, client_for, client
):
    mailbox = make_mailbox()
    agent = client_for(cast["agent"])
    assert agent.get(f"{BASE}/{mailbox.pk}/").status_code == 200
    assert agent.post(f"{BASE}/{mailbox.pk}/poll/").status_code == 403
    assert agent.post(f"{BASE}/{mailbox.pk}/", {"host": "evil.example"}).status_code == 403
    client.logout()
    outsider = client_for(cast["outsider"])
    assert outsider.get(f"{BASE}/{mailbox.pk}/").status_code == 404
    assert (
        outsider.get(f"/w/hillview/settings/channels/email/imap/{mailbox.pk}/").status_code == 404
    )


@pytest.fixture
def broken_oauth_mailbox(make_mailbox, oauth_server, oauth_provider, imap_user):
    """An OAuth2 mailbox whose grant the provider revoked, after one poll noticed."""
    oauth_provider.redirect_uris.add(
        "http://testserver/w/riverside/settings/channels/email/imap/oauth/callback/"
    )
    refresh = oauth_provider.grant(imap_user.username, "frontdesk-client")
    mailbox = make_mailbox(
        auth="oauth2",
        password="",
        oauth_token_url=oauth_server.url + "/token",
        oauth_authorize_url=oauth_server.url + "/authorize",
        oauth_client_id="frontdesk-client",
        oauth_client_secret="client-secret-123",
        oauth_refresh_token=refresh,
    )
    oauth_provider.revoke_all(imap_user.username)
    imap_poll.poll_mailbox(mailbox.pk)
    mailbox.refresh_from_db()
    assert mailbox.state == ImapState.NEEDS_REAUTH
    return mailbox


def test_a_broken_grant_is_shown_and_a_pasted_refresh_token_fixes_it(
    imap_settings, imap_user, oauth_provider, broken_oauth_mailbox, cast, client_for, settings
):
    settings.PUBLIC_BASE_URL = "http://testserver"
    mailbox = broken_oauth_mailbox
    old_refresh = mailbox.oauth_refresh_token
    browser = client_for(cast["admin"])

    page = browser.get(f"{BASE}/{mailbox.pk}/").content.decode()
    assert "Needs re-authorisation" in page
    assert "invalid_grant" in page and "expired or revoked" in page
    for secret in (old_refresh, "client-secret-123"):
        assert secret not in page

    # A token the provider does not accept is refused, and nothing changes.
    response = browser.post(f"{BASE}/{mailbox.pk}/reauthorise/", {"refresh_token": "rt-bogus"})
    assert response.status_code == 400
    assert "did not accept" in response.content.decode()
    mailbox.refresh_from_db()
    assert mailbox.state == ImapState.NEEDS_REAUTH

    fresh = oauth_provider.grant(imap_user.username, "frontdesk-client")
    response = browser.post(f"{BASE}/{mailbox.pk}/reauthorise/", {"refresh_token": fresh})
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.state, mailbox.last_error) == (ImapState.ACTIVE, "")
    assert mailbox.oauth_refresh_token == fresh
    imap_user.append(make_raw(1))
    assert imap_poll.poll_mailbox(mailbox.pk).stored == 1


def test_signing_in_with_the_provider_re_authorises(
    imap_settings, imap_user, oauth_provider, broken_oauth_mailbox, cast, client_for, settings
):
    settings.PUBLIC_BASE_URL = "http://testserver"
    oauth_provider.consent_user = imap_user.username
    mailbox = broken_oauth_mailbox
    browser = client_for(cast["admin"])

    start = browser.post(f"{BASE}/{mailbox.pk}/oauth/")
    assert start.status_code == 302
    sign_in = start["Location"]
    query = parse_qs(urlsplit(sign_in).query)
    assert query["client_id"] == ["frontdesk-client"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["login_hint"] == [imap_user.username]
    assert "client-secret" not in sign_in

    # The admin signs in at the provider, which redirects back with a code.
    consent = httpx.get(sign_in, follow_redirects=False)
    assert consent.status_code == 302
    back = urlsplit(consent.headers["Location"])
    assert back.path == f"{BASE}/oauth/callback/"
    done = browser.get(back.path + "?" + back.query)

    assert done.status_code == 302
    assert done["Location"] == f"{BASE}/{mailbox.pk}/"
    mailbox.refresh_from_db()
    assert mailbox.state == ImapState.ACTIVE
    exchange = oauth_provider.token_requests()[-1]["form"]
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["redirect_uri"] == query["redirect_uri"][0]
    imap_user.append(make_raw(1))
    assert imap_poll.poll_mailbox(mailbox.pk).stored == 1

    # The same redirect replayed is refused (the state was used up).
    replay = browser.get(back.path + "?" + back.query)
    assert replay.status_code == 302
    assert replay["Location"] == "/w/riverside/settings/channels/"


def test_a_callback_not_started_by_this_member_is_refused(
    imap_settings, oauth_provider, broken_oauth_mailbox, cast, client_for
):
    browser = client_for(cast["admin"])
    response = browser.get(f"{BASE}/oauth/callback/?code=stolen&state=guessed")
    assert response.status_code == 302
    assert not oauth_provider.token_requests()[1:]  # only the poll's refusal before
    broken_oauth_mailbox.refresh_from_db()
    assert broken_oauth_mailbox.state == ImapState.NEEDS_REAUTH


def test_the_back_office_never_shows_the_secrets(imap_settings, make_mailbox, client):
    from frontdesk.core.models import User

    mailbox = make_mailbox(
        oauth_client_secret="cs-very-secret", oauth_refresh_token="rt-very-secret"
    )
    client.force_login(User.objects.create_superuser("root@frontdesk.example", "x" * 12))
    page = client.get(f"/admin/email/imapmailbox/{mailbox.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert mailbox.username in text
    for secret in (mailbox.password, "cs-very-secret", "rt-very-secret"):
        assert secret not in text
