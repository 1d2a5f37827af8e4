from __future__ import annotations

import re

import pytest

from frontdesk.core.actions.team import invite_member

INVITE_LINK = re.compile(r"(https?://[^\s\"<>]+/invite/([\w-]+)/)")


def invite_link_in(message) -> tuple[str, str]:
    """The (absolute link, path) of the accept link in an invitation email's text."""
    match = INVITE_LINK.search(message.body)
    assert match, message.body
    link = match.group(1)
    return link, "/" + link.split("/", 3)[3]


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Invite someone through the action and send the email; returns (invitation, token)."""

    def make(by, *, email="newbie@riverside.example", role="agent", display_name=""):
        with django_capture_on_commit_callbacks(execute=True):
            return invite_member(
                by.workspace, email=email, role=role, display_name=display_name, by=by
            )

    return make
