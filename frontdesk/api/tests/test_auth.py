from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from frontdesk.api.actions import ApiTokenError, revoke_api_token
from frontdesk.api.models import ApiToken

pytestmark = pytest.mark.django_db


def _get(path: str, authorization: str | None = None):
    headers = {"Authorization": authorization} if authorization is not None else {}
    return Client(headers=headers).get(path)


def test_request_without_a_token_gets_401_saying_how_to_send_one(cast):
    response = _get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer nonsense", "Bearer fd_deadbeef_notthesecret", "Bearer ", "Bearer fd__x"],
)
def test_unknown_or_malformed_token_gets_401(cast, make_token, authorization):
    make_token(cast["agent"])
    response = _get("/api/v1/contacts", authorization)
    assert response.status_code == 401
    assert response.json() == {"detail": "This API token is not valid or has been revoked."}


def test_other_authorization_schemes_get_401(cast, make_token):
    _token, plaintext = make_token(cast["agent"])
    response = _get("/api/v1/me", f"Basic {plaintext}")
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_right_prefix_with_wrong_secret_gets_401(cast, make_token):
    token, plaintext = make_token(cast["agent"])
    forged = f"fd_{token.prefix}_{'A' * 43}"
    assert forged != plaintext
    assert _get("/api/v1/me", f"Bearer {forged}").status_code == 401


def test_revoked_token_gets_401(cast, make_token):
    token, plaintext = make_token(cast["agent"])
    assert _get("/api/v1/me", f"Bearer {plaintext}").status_code == 200
    assert revoke_api_token(token, by=cast["agent"]) is True
    response = _get("/api/v1/me", f"Bearer {plaintext}")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_token_of_a_deactivated_member_gets_401(cast, make_token):
    _token, plaintext = make_token(cast["agent"])
    cast["agent"].is_active = False
    cast["agent"].save(update_fields=["is_active"])
    response = _get("/api/v1/me", f"Bearer {plaintext}")
    assert response.status_code == 401
    assert "no longer active" in response.json()["detail"]


def test_token_of_a_deactivated_user_gets_401(cast, make_token):
    _token, plaintext = make_token(cast["agent"])
    assert _get("/api/v1/me", f"Bearer {plaintext}").status_code == 200
    user = cast["agent"].user
    user.is_active = False  # the whole account switched off, memberships untouched
    user.save(update_fields=["is_active"])
    response = _get("/api/v1/me", f"Bearer {plaintext}")
    assert response.status_code == 401
    assert "no longer active" in response.json()["detail"]


def test_only_the_secrets_hash_is_stored(cast, make_token):
    token, plaintext = make_token(cast["agent"], "catalogue sync")
    scheme, prefix, secret = plaintext.split("_", 2)
    assert (scheme, prefix) == ("fd", token.prefix)
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {stored.name, stored.prefix, stored.secret_hash}


def test_me_shows_the_member_and_workspace_the_token_acts_as(cast, make_token):
    _token, plaintext = make_token(cast["agent"], "catalogue sync")
    body = _get("/api/v1/me", f"Bearer {plaintext}").json()
    assert body["member"]["display_name"] == "Maya Patel"
    assert body["member"]["email"] == "maya@riverside.example"
    assert body["member"]["role"] == "agent"
    assert body["workspace"]["slug"] == "riverside"
    assert body["token"]["name"] == "catalogue sync"


def test_last_used_is_recorded_at_most_once_a_minute(cast, make_token):
    token, plaintext = make_token(cast["agent"])
    assert token.last_used_at is None
    _get("/api/v1/me", f"Bearer {plaintext}")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    _get("/api/v1/me", f"Bearer {plaintext}")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first

    an_hour_ago = timezone.now() - timedelta(hours=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=an_hour_ago)
    _get("/api/v1/me", f"Bearer {plaintext}")
    assert ApiToken.objects.get(pk=token.pk).last_used_at > an_hour_ago


def test_a_member_cannot_revoke_a_colleagues_token_but_an_admin_can(cast, make_token):
    token, _plaintext = make_token(cast["agent"])
    with pytest.raises(ApiTokenError):
        revoke_api_token(token, by=cast["moderator"])
    with pytest.raises(ApiTokenError):
        revoke_api_token(token, by=cast["outsider"])
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert revoke_api_token(token, by=cast["admin"]) is True
    assert revoke_api_token(token, by=cast["admin"]) is False
