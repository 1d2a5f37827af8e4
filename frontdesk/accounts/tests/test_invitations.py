from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import PASSWORD
from frontdesk.accounts.tests.conftest import invite_link_in
from frontdesk.core.actions.team import (
    InvitationUnusable,
    NotAllowed,
    TeamError,
    accept_invitation,
    invite_member,
    revoke_invitation,
)
from frontdesk.core.models import Invitation, Membership, User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "violet harbour reading lamp"


def test_invitation_end_to_end_from_email_to_home_page(
    client, cast, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_BASE_URL = "https://desk.riverside.example"
    owner = cast["owner"]
    client.force_login(owner.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/w/riverside/settings/team/invite/",
            {"email": "Nina@Riverside.example", "display_name": "Nina Ruiz", "role": "moderator"},
        )
    assert response.status_code == 302
    assert response["Location"] == "/w/riverside/settings/team/"
    assert "nina@riverside.example" in client.get(response["Location"]).content.decode()

    [message] = mailoutbox
    assert message.to == ["nina@riverside.example"]
    assert (
        message.subject == "Olivia Owens invited you to join Riverside Public Library on Frontdesk"
    )
    assert "Olivia Owens via Frontdesk" in message.from_email
    assert message.reply_to == ["Olivia Owens <olivia@riverside.example>"]
    assert "as moderator" in message.body
    link, path = invite_link_in(message)
    assert link.startswith("https://desk.riverside.example/invite/")
    assert f'href="{link}"' in message.alternatives[0][0]
    client.post("/logout/")

    page = client.get(path)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Join Riverside Public Library" in body
    assert "Olivia Owens" in body and "invited you" in body
    assert 'value="Nina Ruiz"' in body
    assert 'autocomplete="new-password"' in body

    joined = client.post(path, {"display_name": "Nina Ruiz", "password": NEW_PASSWORD})
    assert joined.status_code == 302 and joined["Location"] == "/w/riverside/"
    nina = User.objects.get(email="nina@riverside.example")
    membership = Membership.objects.get(user=nina, workspace=owner.workspace)
    assert membership.role == "moderator" and membership.is_active
    assert membership.display_name == "Nina Ruiz"
    assert client.session["_auth_user_id"] == str(nina.pk)
    home = client.get("/w/riverside/")
    assert home.status_code == 200
    assert "Welcome to Riverside Public Library, Nina!" in home.content.decode()

    client.post("/logout/")
    again = client.post("/login/", {"username": "nina@riverside.example", "password": NEW_PASSWORD})
    assert again.status_code == 302


def test_only_the_token_hash_is_stored(cast, invite):
    invitation, token = invite(cast["admin"])
    assert token not in invitation.token_hash
    assert invitation.token_hash == Invitation.hash_token(token)
    assert invitation.expires_at - invitation.created_at == timedelta(days=14)


def test_a_used_link_is_refused(client, cast, invite):
    _, token = invite(cast["admin"])
    accept_invitation(token, password=NEW_PASSWORD, display_name="New Person")
    response = client.get(f"/invite/{token}/")
    assert response.status_code == 410
    with pytest.raises(InvitationUnusable) as excinfo:
        accept_invitation(token, password=NEW_PASSWORD)
    assert excinfo.value.reason == "used"


def test_an_expired_link_is_refused_without_saying_whose_it_was(client, cast, invite):
    invitation, token = invite(cast["admin"], display_name="Secret Name")
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.get(f"/invite/{token}/")
    body = response.content.decode()
    assert response.status_code == 410
    assert "expire after 14 days" in body
    for secret in ("Riverside", "Amir", "newbie@", "Secret Name"):
        assert secret not in body
    posted = client.post(f"/invite/{token}/", {"display_name": "X Y", "password": NEW_PASSWORD})
    assert posted.status_code == 410
    assert not User.objects.filter(email="newbie@riverside.example").exists()


def test_a_revoked_link_is_refused(client, cast, invite):
    invitation, token = invite(cast["admin"])
    client.force_login(cast["admin"].user)
    response = client.post(f"/w/riverside/settings/team/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    client.post("/logout/")
    assert client.get(f"/invite/{token}/").status_code == 410
    with pytest.raises(InvitationUnusable) as excinfo:
        accept_invitation(token, password=NEW_PASSWORD)
    assert excinfo.value.reason == "revoked"


def test_an_unknown_token_is_404(client, db):
    response = client.get("/invite/not-a-real-token/")
    assert response.status_code == 404
    assert "We can’t open this invitation" in response.content.decode()


def test_inviting_again_replaces_the_earlier_link(cast, invite, mailoutbox):
    _, first = invite(cast["admin"])
    _, second = invite(cast["admin"])
    assert len(mailoutbox) == 2
    with pytest.raises(InvitationUnusable):
        accept_invitation(first, password=NEW_PASSWORD)
    membership = accept_invitation(second, password=NEW_PASSWORD, display_name="Nora Lee")
    assert membership.user.first_name == "Nora"


def test_resend_sends_a_new_link_and_retires_the_old(
    client, cast, invite, mailoutbox, django_capture_on_commit_callbacks
):
    invitation, old_token = invite(cast["admin"])
    client.force_login(cast["owner"].user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/w/riverside/settings/team/invitations/{invitation.pk}/resend/")
    assert len(mailoutbox) == 2
    _, new_path = invite_link_in(mailoutbox[1])
    client.post("/logout/")
    assert client.get(f"/invite/{old_token}/").status_code == 410
    assert client.get(new_path).status_code == 200


def test_a_weak_password_is_refused_and_the_link_still_works(client, cast, invite):
    _, token = invite(cast["admin"])
    response = client.post(f"/invite/{token}/", {"display_name": "Nora Lee", "password": "nora"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "too short" in body
    assert 'aria-describedby="id_password_helptext id_password_error"' in body
    assert not User.objects.filter(email="newbie@riverside.example").exists()
    assert client.get(f"/invite/{token}/").status_code == 200


def test_someone_signed_in_with_the_invited_address_joins_with_one_click(client, cast, invite):
    oscar = cast["outsider"]
    _, token = invite(cast["owner"], email="oscar@hillview.example", role="admin")
    client.force_login(oscar.user)
    page = client.get(f"/invite/{token}/")
    assert "Join as Oscar Hill" in page.content.decode()
    response = client.post(f"/invite/{token}/")
    assert response["Location"] == "/w/riverside/"
    joined = Membership.objects.get(user=oscar.user, workspace__slug="riverside")
    assert joined.role == "admin"
    assert Membership.objects.get(pk=oscar.pk).is_active  # still in Hillview too


def test_an_existing_account_must_sign_in_before_joining(client, cast, invite):
    _, token = invite(cast["owner"], email="oscar@hillview.example")
    page = client.get(f"/invite/{token}/")
    body = page.content.decode()
    assert "already has a Frontdesk account" in body
    assert f"/login/?next=%2Finvite%2F{token}%2F" in body
    client.post(f"/invite/{token}/", {"display_name": "Mallory", "password": NEW_PASSWORD})
    assert not Membership.objects.filter(
        workspace__slug="riverside", user__email="oscar@hillview.example"
    ).exists()
    with pytest.raises(TeamError):
        accept_invitation(token, password=NEW_PASSWORD)
    signed_in = client.post(
        f"/login/?next=/invite/{token}/",
        {"username": "oscar@hillview.example", "password": PASSWORD, "next": f"/invite/{token}/"},
    )
    assert signed_in["Location"] == f"/invite/{token}/"


def test_someone_signed_in_as_another_person_is_asked_to_sign_out(client, cast, invite):
    _, token = invite(cast["owner"], email="nina@riverside.example")
    client.force_login(cast["agent"].user)
    page = client.get(f"/invite/{token}/")
    assert "but you’re signed in as" in page.content.decode()
    client.post(f"/invite/{token}/")
    assert not User.objects.filter(email="nina@riverside.example").exists()
    with pytest.raises(TeamError):
        accept_invitation(token, user=cast["agent"].user)


def test_a_deactivated_member_invited_back_returns_with_the_new_role(cast, invite):
    from frontdesk.core.actions.team import deactivate_member

    maya = cast["agent"]
    deactivate_member(maya, by=cast["owner"])
    _, token = invite(cast["owner"], email=maya.user.email, role="moderator")
    accept_invitation(token, user=maya.user)
    maya.refresh_from_db()
    assert maya.is_active and maya.role == "moderator"


def test_someone_already_on_the_team_cannot_be_invited(cast):
    with pytest.raises(TeamError, match="already on the team"):
        invite_member(
            cast["owner"].workspace, email="MAYA@riverside.example", role="agent", by=cast["owner"]
        )


def test_only_owners_invite_owners(cast, riverside):
    with pytest.raises(NotAllowed):
        invite_member(riverside, email="x@riverside.example", role="owner", by=cast["admin"])
    invitation, _ = invite_member(
        riverside, email="x@riverside.example", role="owner", by=cast["owner"]
    )
    assert invitation.role == "owner"


def test_a_member_of_another_workspace_cannot_invite_or_revoke_here(cast, riverside):
    with pytest.raises(NotAllowed):
        invite_member(riverside, email="x@riverside.example", role="agent", by=cast["outsider"])
    invitation, _ = invite_member(
        riverside, email="x@riverside.example", role="agent", by=cast["admin"]
    )
    with pytest.raises(NotAllowed):
        revoke_invitation(invitation, by=cast["outsider"])


def test_the_invite_form_shows_errors_next_to_the_field(client, cast):
    client.force_login(cast["admin"].user)
    response = client.post(
        "/w/riverside/settings/team/invite/", {"email": "amir@riverside.example", "role": "agent"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "already on the team" in body
    assert 'aria-describedby="id_email_error"' in body
    assert not Invitation.objects.exists()


def test_an_email_that_fails_to_send_leaves_the_invitation_to_resend(
    cast, riverside, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with django_capture_on_commit_callbacks(execute=True):
        invitation, _ = invite_member(
            riverside, email="x@riverside.example", role="agent", by=cast["admin"]
        )
    assert Invitation.objects.get(pk=invitation.pk).is_pending
    assert "invitation email failed" in caplog.text
