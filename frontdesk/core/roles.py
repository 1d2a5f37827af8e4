"""Staff roles and what each may do. Views ask `membership.can(CAPABILITY)`."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    AGENT = "agent", "Agent"
    MODERATOR = "moderator", "Moderator"


# Capabilities are product verbs, not model permissions: a librarian reads
# "can manage the team", not "can change membership".
VIEW_INBOX = "view_inbox"
REPLY = "reply"
MANAGE_CONTACTS = "manage_contacts"
MODERATE = "moderate"
MANAGE_CHANNELS = "manage_channels"
MANAGE_TEAM = "manage_team"
MANAGE_WORKSPACE = "manage_workspace"
MANAGE_OWNERS = "manage_owners"
SEND_OUTREACH = "send_outreach"
VIEW_INSIGHTS = "view_insights"
USE_API = "use_api"

_AGENT = {VIEW_INBOX, REPLY, MANAGE_CONTACTS, SEND_OUTREACH, VIEW_INSIGHTS, USE_API}
_MODERATOR = {VIEW_INBOX, MODERATE, VIEW_INSIGHTS, USE_API}
_ADMIN = _AGENT | _MODERATOR | {MANAGE_CHANNELS, MANAGE_TEAM, MANAGE_WORKSPACE}
_OWNER = _ADMIN | {MANAGE_OWNERS}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(_OWNER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.AGENT: frozenset(_AGENT),
    Role.MODERATOR: frozenset(_MODERATOR),
}

ROLE_DESCRIPTIONS = {
    Role.OWNER: "Everything, including other owners and deleting the workspace.",
    Role.ADMIN: "Channels, team and settings, plus everything agents and moderators do.",
    Role.AGENT: "Answers customers, manages contacts, sends notices.",
    Role.MODERATOR: "Keeps community spaces civil; reads the inbox.",
}


def role_can(role: str, capability: str) -> bool:
    return capability in CAPABILITIES.get(role, frozenset())
