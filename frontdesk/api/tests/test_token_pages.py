from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from frontdesk.api.models import ApiToken

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r"fd_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


def _page(ws: str = "riverside") -> str:
    return reverse("api:tokens", kwargs={"ws": ws})


def test_created_token_is_shown_once_and_works(cast, client_for):
    client = client_for(cast["agent"])
    response = client.post(_page(), {"name": "catalogue sync"})
    assert response.status_code == 200
    shown = TOKEN_RE.findall(response.content.decode())
    assert len(shown) == 1
    plaintext = shown[0]
    token = ApiToken.objects.get(membership=cast["agent"])
    assert token.name == "catalogue sync"
    assert plaintext.startswith(f"fd_{token.prefix}_")

    listing = client.get(_page()).content.decode()
    assert "catalogue sync" in listing
    assert f"fd_{token.prefix}_" in listing
    assert not TOKEN_RE.search(listing)

    me = Client(headers={"Authorization": f"Bearer {plaintext}"}).get("/api/v1/me")
    assert me.json()["member"]["display_name"] == "Maya Patel"


def test_a_token_needs_a_name(cast, client_for):
    response = client_for(cast["agent"]).post(_page(), {"name": ""})
    assert response.status_code == 200
    assert not ApiToken.objects.exists()


def test_revoking_from_the_page_stops_the_token(cast, client_for, make_token):
    token, plaintext = make_token(cast["agent"], "old script")
    client = client_for(cast["agent"])
    url = reverse("api:token-revoke", kwargs={"ws": "riverside", "pk": token.pk})
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == _page()
    assert "Revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = Client(headers={"Authorization": f"Bearer {plaintext}"})
    assert api.get("/api/v1/me").status_code == 401


def test_the_page_lists_only_your_own_tokens_and_cannot_revoke_others(cast, client_for, make_token):
    theirs, _ = make_token(cast["admin"], "admin's report")
    client = client_for(cast["agent"])
    assert "admin&#x27;s report" not in client.get(_page()).content.decode()
    url = reverse("api:token-revoke", kwargs={"ws": "riverside", "pk": theirs.pk})
    assert client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_outsider_cannot_open_another_workspaces_token_page(cast, client_for, make_token):
    token, _ = make_token(cast["agent"])
    client = client_for(cast["outsider"])
    assert client.get(_page()).status_code == 404
    url = reverse("api:token-revoke", kwargs={"ws": "riverside", "pk": token.pk})
    assert client.post(url).status_code == 404
    # The outsider's own workspace page does not reach Riverside's token either.
    url = reverse("api:token-revoke", kwargs={"ws": "hillview", "pk": token.pk})
    assert client.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
