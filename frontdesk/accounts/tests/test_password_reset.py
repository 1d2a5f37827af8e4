from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lantern orchard maple seven"
RESET_LINK = re.compile(r"(https?://[^\s\"<>]+)(/password-reset/[\w-]+/[\w-]+/)")


def request_reset(client, email, **extra):
    return client.post("/password-reset/", {"email": email}, **extra)


def test_reset_by_email_then_sign_in_with_the_new_password(client, cast, mailoutbox, settings):
    settings.PUBLIC_BASE_URL = "https://desk.riverside.example"
    settings.DEFAULT_FROM_EMAIL = "Riverside Frontdesk <desk@riverside.example>"

    response = request_reset(client, "maya@riverside.example")
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert "Check your email" in client.get(response["Location"]).content.decode()

    [message] = mailoutbox
    assert message.to == ["maya@riverside.example"]
    assert message.from_email == "Riverside Frontdesk <desk@riverside.example>"
    assert message.subject == "Choose a new Frontdesk password"
    assert message.body.startswith("Hi Maya,")
    html = message.alternatives[0][0]
    base, path = RESET_LINK.search(message.body).groups()
    assert base == "https://desk.riverside.example"
    assert f'href="{base}{path}"' in html

    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"

    assert (
        client.post(
            "/login/", {"username": "maya@riverside.example", "password": PASSWORD}
        ).status_code
        == 200
    )
    signed_in = client.post(
        "/login/", {"username": "maya@riverside.example", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(cast["agent"].user.pk)


def test_a_reset_link_works_once(client, cast, mailoutbox):
    request_reset(client, "maya@riverside.example")
    _, path = RESET_LINK.search(mailoutbox[0].body).groups()
    page = client.get(path, follow=True)
    client.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    again = client.get(path, follow=True)
    assert again.status_code == 404
    assert "This link no longer works" in again.content.decode()
    assert client.get("/password-reset/Mw/not-a-token/").status_code == 404


def test_reset_link_uses_the_public_address_whatever_host_the_request_names(
    client, cast, mailoutbox, settings
):
    settings.PUBLIC_BASE_URL = "https://desk.riverside.example"
    settings.ALLOWED_HOSTS = ["*"]  # even a too-trusting install must not follow the Host header
    request_reset(client, "maya@riverside.example", HTTP_HOST="attacker.example")
    [message] = mailoutbox
    assert "attacker.example" not in message.body
    assert "attacker.example" not in message.alternatives[0][0]
    assert RESET_LINK.search(message.body).group(1) == "https://desk.riverside.example"


def test_an_unknown_address_gets_the_same_page_and_no_email(client, cast, mailoutbox):
    response = request_reset(client, "nobody@riverside.example")
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert mailoutbox == []


def test_a_weak_new_password_is_refused_with_the_reason(client, cast, mailoutbox):
    request_reset(client, "maya@riverside.example")
    _, path = RESET_LINK.search(mailoutbox[0].body).groups()
    url = client.get(path, follow=True).redirect_chain[-1][0]
    response = client.post(url, {"new_password1": "12345678", "new_password2": "12345678"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "too short" in body
    assert 'aria-describedby="id_new_password2_error"' in body


def test_resetting_the_password_lifts_a_sign_in_lockout(client, cast, mailoutbox, settings):
    email = "maya@riverside.example"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = client.post("/login/", {"username": email, "password": "wrong"})
    assert locked.status_code == 429

    request_reset(client, email)
    _, path = RESET_LINK.search(mailoutbox[0].body).groups()
    url = client.get(path, follow=True).redirect_chain[-1][0]
    client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert not AccessAttempt.objects.filter(username=email).exists()
    response = client.post("/login/", {"username": email, "password": NEW_PASSWORD})
    assert response.status_code == 302
