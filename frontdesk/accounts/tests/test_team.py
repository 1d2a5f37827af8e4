from __future__ import annotations

import pytest

from frontdesk.core.actions.team import (
    NotAllowed,
    TeamError,
    change_role,
    deactivate_member,
    invite_member,
)
from frontdesk.core.models import Invitation, Membership

pytestmark = pytest.mark.django_db

TEAM = "/w/riverside/settings/team/"


def team_url(suffix):
    return f"{TEAM}{suffix}"


def role_of(membership):
    return Membership.objects.get(pk=membership.pk).role


def test_team_page_lists_members_and_pending_invitations(client_for, cast, riverside):
    invite_member(riverside, email="nina@riverside.example", role="agent", by=cast["admin"])
    response = client_for(cast["admin"]).get(TEAM)
    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Olivia Owens",
        "Amir Haddad",
        "Maya Patel",
        "Mo Okafor",
        "maya@riverside.example",
    ):
        assert text in body
    assert "Oscar Hill" not in body
    assert "nina@riverside.example" in body
    assert "Invite a colleague" in body
    assert '<label for="id_email">Email' in body
    # Admins are not offered the owner role.
    assert '<option value="owner"' not in body


def test_agents_see_the_team_but_no_management(client_for, cast, riverside):
    invite_member(riverside, email="nina@riverside.example", role="agent", by=cast["admin"])
    body = client_for(cast["agent"]).get(TEAM).content.decode()
    assert "Amir Haddad" in body
    assert "Invite a colleague" not in body
    assert "nina@riverside.example" not in body
    assert "Deactivate" not in body


def test_team_page_query_count_does_not_grow_with_the_team(
    client_for, cast, riverside, make_user, django_assert_max_num_queries
):
    from frontdesk.core.actions.workspaces import add_member

    for n in range(15):
        add_member(
            riverside,
            user=make_user(f"p{n}@riverside.example"),
            role="agent",
            display_name=f"Person {n}",
        )
        invite_member(riverside, email=f"i{n}@riverside.example", role="agent", by=cast["owner"])
    client = client_for(cast["owner"])
    with django_assert_max_num_queries(12):
        assert client.get(TEAM).status_code == 200


@pytest.mark.parametrize("role", ["agent", "moderator"])
def test_agents_and_moderators_get_403_on_every_team_change(client_for, cast, riverside, role):
    invitation, _ = invite_member(
        riverside, email="nina@riverside.example", role="agent", by=cast["admin"]
    )
    target = cast["admin"]
    client = client_for(cast[role])
    posts = [
        ("invite/", {"email": "x@riverside.example", "role": "agent"}),
        (f"{target.pk}/role/", {"role": "agent"}),
        (f"{target.pk}/deactivate/", {}),
        (f"{target.pk}/reactivate/", {}),
        (f"invitations/{invitation.pk}/revoke/", {}),
        (f"invitations/{invitation.pk}/resend/", {}),
    ]
    for suffix, data in posts:
        assert client.post(team_url(suffix), data).status_code == 403, suffix
    assert role_of(target) == "admin"
    assert Membership.objects.get(pk=target.pk).is_active
    assert Invitation.objects.get().is_pending
    assert Invitation.objects.count() == 1


def test_an_admin_changes_an_agents_role(client_for, cast):
    response = client_for(cast["admin"]).post(
        team_url(f"{cast['agent'].pk}/role/"), {"role": "moderator"}
    )
    assert response.status_code == 302
    assert role_of(cast["agent"]) == "moderator"
    follow = client_for(cast["admin"]).get(response["Location"])
    assert "Maya Patel is now moderator." in follow.content.decode()


def test_an_admin_cannot_make_an_owner(client_for, cast):
    response = client_for(cast["admin"]).post(
        team_url(f"{cast['agent'].pk}/role/"), {"role": "owner"}
    )
    assert response.status_code == 403
    assert role_of(cast["agent"]) == "agent"
    with pytest.raises(NotAllowed):
        change_role(cast["admin"], role="owner", by=cast["admin"])


def test_an_admin_cannot_demote_or_deactivate_an_owner(client_for, cast):
    client = client_for(cast["admin"])
    owner = cast["owner"]
    assert client.post(team_url(f"{owner.pk}/role/"), {"role": "agent"}).status_code == 403
    assert client.post(team_url(f"{owner.pk}/deactivate/")).status_code == 403
    assert role_of(owner) == "owner"
    assert Membership.objects.get(pk=owner.pk).is_active


def test_the_last_owner_cannot_be_demoted(client_for, cast):
    owner = cast["owner"]
    client = client_for(owner)
    response = client.post(team_url(f"{owner.pk}/role/"), {"role": "admin"})
    assert response.status_code == 302
    assert role_of(owner) == "owner"
    assert "the only owner" in client.get(response["Location"]).content.decode()
    with pytest.raises(TeamError, match="only owner"):
        change_role(owner, role="agent", by=owner)


def test_an_owner_can_step_down_once_there_is_another_owner(cast):
    owner = cast["owner"]
    change_role(cast["admin"], role="owner", by=owner)
    change_role(owner, role="admin", by=owner)
    assert role_of(owner) == "admin"
    with pytest.raises(TeamError):
        change_role(cast["admin"], role="agent", by=cast["admin"])


def test_the_last_owner_cannot_be_deactivated(cast):
    owner = cast["owner"]
    second = change_role(cast["admin"], role="owner", by=owner)
    deactivate_member(second, by=owner)
    with pytest.raises(TeamError):
        deactivate_member(owner, by=owner)  # nor by themselves
    assert Membership.objects.get(pk=owner.pk).is_active
    # An inactive owner does not count as the other owner.
    with pytest.raises(TeamError, match="only owner"):
        change_role(owner, role="admin", by=owner)


def test_nobody_deactivates_themselves(client_for, cast):
    admin = cast["admin"]
    response = client_for(admin).post(team_url(f"{admin.pk}/deactivate/"))
    assert response.status_code == 302
    assert Membership.objects.get(pk=admin.pk).is_active


def test_a_deactivated_member_cannot_open_the_workspace_even_with_a_live_session(client, cast):
    maya = cast["agent"]
    client.force_login(maya.user)
    assert client.get("/w/riverside/").status_code == 200

    owner_client = type(client)()
    owner_client.force_login(cast["owner"].user)
    response = owner_client.post(team_url(f"{maya.pk}/deactivate/"))
    assert response.status_code == 302
    assert not Membership.objects.get(pk=maya.pk).is_active

    assert client.get("/w/riverside/").status_code == 404
    assert client.get("/w/riverside/settings/profile/").status_code == 404
    assert (
        client.post(team_url("invite/"), {"email": "x@y.example", "role": "agent"}).status_code
        == 404
    )

    owner_client.post(team_url(f"{maya.pk}/reactivate/"))
    assert client.get("/w/riverside/").status_code == 200


def test_an_admin_of_riverside_cannot_touch_a_hillview_member(client_for, cast):
    hillview_owner = cast["outsider"]
    client = client_for(cast["admin"])
    for suffix, data in [
        (f"{hillview_owner.pk}/role/", {"role": "agent"}),
        (f"{hillview_owner.pk}/deactivate/", {}),
        (f"{hillview_owner.pk}/reactivate/", {}),
    ]:
        assert client.post(team_url(suffix), data).status_code == 404, suffix
    # Nor through Hillview's own URLs: not a member there.
    assert (
        client.post(
            f"/w/hillview/settings/team/{hillview_owner.pk}/role/", {"role": "agent"}
        ).status_code
        == 404
    )
    hillview_owner.refresh_from_db()
    assert hillview_owner.role == "owner" and hillview_owner.is_active
    with pytest.raises(NotAllowed):
        change_role(hillview_owner, role="agent", by=cast["owner"])


def test_invitations_of_another_workspace_are_404(client_for, cast):
    hillview = cast["outsider"].workspace
    theirs, _ = invite_member(
        hillview, email="h@hillview.example", role="agent", by=cast["outsider"]
    )
    client = client_for(cast["owner"])
    assert client.post(team_url(f"invitations/{theirs.pk}/revoke/")).status_code == 404
    assert client.post(team_url(f"invitations/{theirs.pk}/resend/")).status_code == 404
    assert Invitation.objects.get(pk=theirs.pk).is_pending
