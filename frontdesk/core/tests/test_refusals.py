"""One way to refuse: an action's NotAllowed is the 403 page, or an htmx toast."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.views.defaults import permission_denied

from frontdesk.core.errors import ActionError, NotAllowed
from frontdesk.core.middleware import ActionErrorMiddleware
from frontdesk.core.models import Membership
from frontdesk.core.permissions import require
from frontdesk.inbox.actions import InboxError

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _make_owner(client, cast, **extra):
    return client.post(
        f"/w/riverside/settings/team/{cast['agent'].pk}/role/", {"role": "owner"}, **extra
    )


def test_a_refused_page_write_answers_the_sites_403_page(client_for, cast):
    response = _make_owner(client_for(cast["admin"]), cast)
    assert response.status_code == 403
    reason = "Your role cannot manage owners."
    site_page = permission_denied(RequestFactory().get("/"), PermissionDenied(reason))
    assert response.content == site_page.content
    assert reason in response.content.decode()  # the page says why
    assert Membership.objects.get(pk=cast["agent"].pk).role == "agent"


def test_the_same_refusal_through_htmx_shows_the_message(client_for, cast):
    response = _make_owner(client_for(cast["admin"]), cast, **HTMX)
    assert response.status_code == 403
    assert response.content.decode() == "Your role cannot manage owners."
    toast = json.loads(response["HX-Trigger"])
    assert toast == {"inbox:toast": {"text": "Your role cannot manage owners."}}
    assert Membership.objects.get(pk=cast["agent"].pk).role == "agent"


def test_an_action_error_no_view_turned_into_a_form_error_is_a_400():
    middleware = ActionErrorMiddleware(lambda request: None)
    request = RequestFactory().post("/")
    response = middleware.process_exception(request, InboxError("Write a reply first."))
    assert response is not None and response.status_code == 400
    assert response.content.decode() == "Write a reply first."
    assert middleware.process_exception(request, ValueError("not ours")) is None


def test_require_refuses_the_inactive_other_workspaces_and_missing_capabilities(cast):
    require(cast["agent"], "manage_contacts", workspace_id=cast["agent"].workspace_id)
    with pytest.raises(NotAllowed, match="Your role cannot manage team"):
        require(cast["agent"], "manage_team")
    with pytest.raises(NotAllowed, match="another workspace"):
        require(cast["outsider"], "reply", workspace_id=cast["agent"].workspace_id)
    cast["agent"].is_active = False
    with pytest.raises(NotAllowed, match="active member"):
        require(cast["agent"], "reply")
    with pytest.raises(NotAllowed):
        require(None, "reply")
    assert issubclass(NotAllowed, ActionError) and not issubclass(NotAllowed, InboxError)


def test_every_old_import_path_names_the_one_not_allowed():
    from frontdesk.api.actions import ApiTokenError, TokenNotAllowed
    from frontdesk.channels.actions import ChannelSetupError
    from frontdesk.channels.sms import actions as sms_actions
    from frontdesk.core.actions import team
    from frontdesk.core.actions.contacts import ContactError
    from frontdesk.inbox import actions as inbox_actions

    assert team.NotAllowed is inbox_actions.NotAllowed is sms_actions.NotAllowed is NotAllowed
    assert issubclass(TokenNotAllowed, NotAllowed) and issubclass(TokenNotAllowed, ApiTokenError)
    for error in (team.TeamError, InboxError, ContactError, ChannelSetupError, ApiTokenError):
        assert issubclass(error, ActionError)


# --- Contacts: every write is an action taking `by` ---------------------------------------


def _ned(riverside):
    from frontdesk.core.actions.contacts import create_contact

    ned = create_contact(riverside, name="Ned", identities=[("email", "ned@x.org")], by=None)
    return ned, ned.identities.get()


def test_a_moderator_cannot_remove_a_contacts_address_from_the_page(riverside, cast, client_for):
    # roles.py: moderators read contacts; agents, admins and owners manage them.
    ned, identity = _ned(riverside)
    url = f"/w/riverside/identities/{identity.pk}/remove/"
    assert client_for(cast["moderator"]).post(url).status_code == 403
    assert ned.identities.count() == 1
    response = client_for(cast["agent"]).post(url)
    assert response.status_code == 302
    assert ned.identities.count() == 0


def test_contact_actions_check_the_person_acting_and_let_the_system_write(riverside, cast):
    from frontdesk.core.actions import contacts as contact_actions

    ned, identity = _ned(riverside)
    for member in (cast["moderator"], cast["outsider"]):
        with pytest.raises(NotAllowed):
            contact_actions.remove_identity(identity, by=member)
        with pytest.raises(NotAllowed):
            contact_actions.set_consent(
                ned, topic="sms", status="granted", source="staff", by=member
            )
        with pytest.raises(NotAllowed):
            contact_actions.add_identity(ned, kind="phone", value="+15550100555", by=member)
    assert contact_actions.set_consent(ned, topic="sms", status="revoked", source="STOP", by=None)
    contact_actions.remove_identity(identity, by=cast["agent"])
    assert not ned.identities.exists()


def test_workspace_settings_are_saved_through_an_action_that_checks_the_role(riverside, cast):
    from frontdesk.core.actions.workspaces import update_workspace_settings

    values = {
        "name": "Riverside Library",
        "time_zone": "Europe/Paris",
        "default_country": "FR",
        "brand_color": "#123456",
    }
    with pytest.raises(NotAllowed):
        update_workspace_settings(riverside, by=cast["agent"], **values)
    update_workspace_settings(riverside, by=cast["admin"], **values)
    riverside.refresh_from_db()
    assert (riverside.name, riverside.time_zone, riverside.slug) == (
        "Riverside Library",
        "Europe/Paris",
        "riverside",
    )
