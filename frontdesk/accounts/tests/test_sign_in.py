from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/login/"


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_login_page_has_labelled_email_and_password_with_autofocus(client):
    response = client.get(LOGIN)
    body = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_username">Email' in body
    assert '<label for="id_password">Password' in body
    assert 'autocomplete="username"' in body and 'autocomplete="current-password"' in body
    email_input = re.search(r"<input[^>]*id=\"id_username\"[^>]*>", body).group(0)
    assert "autofocus" in email_input and 'type="email"' in email_input
    assert reverse("password_reset") in body


def test_correct_email_and_password_sign_in_and_land_on_the_workspace(client, cast):
    response = client.post(LOGIN, {"username": "maya@riverside.example", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(cast["agent"].user.pk)
    assert client.get(response["Location"]).url == "/w/riverside/"


def test_email_is_matched_whatever_its_case(client, cast):
    client.post(LOGIN, {"username": " Maya@Riverside.EXAMPLE ", "password": PASSWORD})
    assert signed_in_user_id(client) == str(cast["agent"].user.pk)


def test_wrong_password_is_refused_with_an_error_tied_to_both_fields(client, cast):
    response = client.post(LOGIN, {"username": "maya@riverside.example", "password": "nope"})
    body = response.content.decode()
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert "don’t match an account" in body
    assert 'role="alert" id="form-errors"' in body
    assert body.count('aria-describedby="form-errors"') == 2
    assert 'value="maya@riverside.example"' in body


def test_next_is_followed_when_it_stays_on_this_site(client, cast):
    response = client.post(
        f"{LOGIN}?next=/w/riverside/contacts/",
        {
            "username": "maya@riverside.example",
            "password": PASSWORD,
            "next": "/w/riverside/contacts/",
        },
    )
    assert response["Location"] == "/w/riverside/contacts/"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/path", "http://testserver.evil.example/"]
)
def test_next_pointing_at_another_site_is_ignored(client, cast, next_url):
    response = client.post(
        LOGIN, {"username": "maya@riverside.example", "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_sign_out_needs_a_post_and_ends_the_session(client, cast):
    client.force_login(cast["agent"].user)
    assert client.get("/logout/").status_code == 405
    assert signed_in_user_id(client) is not None
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert signed_in_user_id(client) is None
    assert "You’re signed out" in client.get(LOGIN).content.decode()
    assert client.get("/w/riverside/").status_code == 302


def test_repeated_failures_lock_sign_in_even_with_the_right_password(client, cast, settings):
    limit = settings.AXES_FAILURE_LIMIT
    email = "maya@riverside.example"
    for attempt in range(1, limit):
        response = client.post(LOGIN, {"username": email, "password": f"guess {attempt}"})
        assert response.status_code == 200, attempt
    locked = client.post(LOGIN, {"username": email, "password": "one guess too many"})
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "Please wait 15 minutes" in body
    assert reverse("password_reset") in body
    assert AccessAttempt.objects.filter(username=email, failures_since_start__gte=limit).exists()

    still_locked = client.post(LOGIN, {"username": email, "password": PASSWORD})
    assert still_locked.status_code == 429
    assert signed_in_user_id(client) is None


def test_lockout_counts_one_person_however_the_email_is_typed(client, cast, settings):
    spellings = ["maya@riverside.example", "MAYA@riverside.example", "Maya@Riverside.Example"]
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        username = spellings[attempt % len(spellings)]
        response = client.post(LOGIN, {"username": username, "password": "wrong"})
    assert response.status_code == 429
    assert AccessAttempt.objects.get().username == "maya@riverside.example"


def test_lockout_wait_follows_the_configured_cool_off(client, cast, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = 1.5  # hours
    for _ in range(2):
        response = client.post(LOGIN, {"username": "mo@riverside.example", "password": "x"})
    assert response.status_code == 429
    assert "Please wait 1 hour 30 minutes" in response.content.decode()


def test_a_lockout_for_one_person_leaves_others_alone(client, cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "maya@riverside.example", "password": "wrong"})
    response = client.post(LOGIN, {"username": "mo@riverside.example", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(cast["moderator"].user.pk)
