"""Fixtures shared by every test: the fixed cast and fast, in-process settings.

The cast (STYLE.md): the Riverside workspace with an owner, an admin, an agent
and a moderator, and an outsider who works in another workspace.
"""

from __future__ import annotations

import pytest
from huey.contrib.djhuey import HUEY

from frontdesk.core.actions.workspaces import add_member, create_workspace
from frontdesk.core.models import User, Workspace
from frontdesk.core.roles import Role

PASSWORD = "correct horse battery staple"

# Fixtures more than one app's tests use: the loopback Twilio stand-in, SMS channels.
pytest_plugins = ["tests.sms_fixtures"]


@pytest.fixture(autouse=True)
def _fast_in_process(settings):
    """In-process tests: cheap hasher, tasks run inline, in-memory channel layer.

    Tests that cross processes (tests/system) start real servers with the real
    settings instead.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    was_immediate = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = was_immediate


@pytest.fixture
def make_user(db):
    def make(email: str, name: str = "") -> User:
        first, _, last = name.partition(" ")
        return User.objects.create_user(email, PASSWORD, first_name=first, last_name=last)

    return make


@pytest.fixture
def riverside(db, make_user) -> Workspace:
    owner = make_user("olivia@riverside.example", "Olivia Owens")
    return create_workspace(
        name="Riverside Public Library",
        slug="riverside",
        owner=owner,
        owner_display_name="Olivia Owens",
    )


@pytest.fixture
def cast(riverside, make_user):
    """Named members of Riverside by role, plus an outsider in another workspace."""
    from frontdesk.core.models import Membership

    members = {"owner": Membership.objects.get(workspace=riverside, role=Role.OWNER)}
    for role, email, name in [
        (Role.ADMIN, "amir@riverside.example", "Amir Haddad"),
        (Role.AGENT, "maya@riverside.example", "Maya Patel"),
        (Role.MODERATOR, "mo@riverside.example", "Mo Okafor"),
    ]:
        members[role.value] = add_member(
            riverside, user=make_user(email, name), role=role, display_name=name
        )
    outsider_user = make_user("oscar@hillview.example", "Oscar Hill")
    hillview = create_workspace(
        name="Hillview Library",
        slug="hillview",
        owner=outsider_user,
        owner_display_name="Oscar Hill",
    )
    members["outsider"] = Membership.objects.get(workspace=hillview)
    return members


@pytest.fixture
def client_for(client):
    """Return a test client signed in as the given membership's user."""

    def sign_in(membership):
        client.force_login(membership.user)
        return client

    return sign_in
