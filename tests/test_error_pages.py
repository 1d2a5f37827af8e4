"""404, 403 and 500 answer in the site's own layout, saying what happened."""

from __future__ import annotations

from django.test import RequestFactory
from django.views.defaults import server_error

from frontdesk.core import roles


def test_an_unknown_page_is_the_sites_404(client_for, cast):
    response = client_for(cast["agent"]).get("/w/no-such-workspace/inbox/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We can’t find that page" in page
    assert "frontdesk/app.css" in page and "Go to your inbox" in page


def test_a_refused_page_is_the_sites_403_naming_why(client_for, cast, riverside):
    assert not roles.role_can(cast["agent"].role, roles.MANAGE_CHANNELS)
    response = client_for(cast["agent"]).get(f"/w/{riverside.slug}/settings/channels/sms/new/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "You can’t do that here" in page and "frontdesk/app.css" in page
    assert "Settings → Team" in page


def test_the_500_page_renders_without_a_request_context(db):
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page and "frontdesk/app.css" in page
