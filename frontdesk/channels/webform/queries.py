"""Reads behind the public form: which channel takes it, and who will answer the customer.

The acknowledgement names a person, so it must be someone who can answer:
1. the staff member already handling this customer's open conversation on the form
   channel (routing keeps a conversation with its assignee while they are active:
   `frontdesk.inbox.routing.route_conversation`);
2. otherwise the staff member "on duty": among active members whose role may
   answer customers (agents, admins, owners), the one with the fewest open
   conversations assigned, then the longest-serving (earliest `joined_at`), then
   the lowest id, so the choice is deterministic and spreads new customers fairly.
Members have no shift schedule yet; when they do, "on duty" narrows to it here.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse

from frontdesk.connectors.webform.adapter import WebFormConnector
from frontdesk.core import roles
from frontdesk.core.models import ContactIdentity, Membership, Workspace, normalise_identity
from frontdesk.inbox.models import (
    ACTIVE_STATUSES,
    Channel,
    Conversation,
    ConversationStatus,
    InboundEvent,
)
from frontdesk.inbox.service_levels import settings_or_defaults

ANSWERING_ROLES = [role for role in roles.Role if roles.role_can(role, roles.REPLY)]


def form_channel(workspace: Workspace) -> Channel | None:
    """The web form channel submissions go to: the oldest active one.

    None when the workspace has none yet (the first submission creates it); Http404
    when it has web form channels but all are switched off (the form is closed).
    """
    channels = list(
        Channel.objects.for_workspace(workspace)
        .filter(kind=WebFormConnector.kind)
        .order_by("id")
        .only("id", "is_active", "settings", "workspace_id", "kind", "name")
    )
    active = next((c for c in channels if c.is_active), None)
    if channels and active is None:
        raise Http404("This contact form is switched off")
    return active


def is_stored(channel: Channel | None, submission_id: str) -> bool:
    """Whether this submission is already stored (a refresh, a double click)."""
    if channel is None:
        return False
    return InboundEvent.objects.filter(channel=channel, provider_message_id=submission_id).exists()


def on_duty(workspace: Workspace) -> Membership | None:
    """The member who takes a new customer: fewest open conversations, then seniority."""
    return (
        Membership.objects.for_workspace(workspace)
        .filter(is_active=True, role__in=ANSWERING_ROLES)
        .annotate(
            open_count=Count(
                "assigned_conversations",
                filter=Q(assigned_conversations__status=ConversationStatus.OPEN),
            )
        )
        .order_by("open_count", "joined_at", "pk")
        .first()
    )


def current_assignee(
    workspace: Workspace, channel: Channel | None, *, kind: str, address: str
) -> Membership | None:
    """Who already handles this customer's active conversation on the form channel."""
    if channel is None or not address:
        return None
    try:
        value = normalise_identity(kind, address, default_country=workspace.default_country)
    except ValidationError:
        return None
    contact_id = (
        ContactIdentity.objects.for_workspace(workspace)
        .filter(kind=kind, value=value)
        .values_list("contact_id", flat=True)
        .first()
    )
    if contact_id is None:
        return None
    conversation = (
        Conversation.objects.for_workspace(workspace)
        .filter(contact_id=contact_id, channel=channel, status__in=ACTIVE_STATUSES)
        .select_related("assignee")
        .order_by("-last_message_at", "-id")
        .first()
    )
    assignee = conversation.assignee if conversation else None
    if assignee is None or not assignee.can(roles.REPLY):
        return None
    return assignee


def who_will_answer(
    workspace: Workspace, channel: Channel | None, *, kind: str, address: str
) -> Membership | None:
    """The person the acknowledgement names (see the module docstring)."""
    return current_assignee(workspace, channel, kind=kind, address=address) or on_duty(workspace)


def usual_wait(workspace: Workspace) -> str:
    """“within a few hours”: the workspace's first-response target in plain words."""
    minutes = settings_or_defaults(workspace).first_response_target_minutes
    if minutes <= 60:
        return "within the hour"
    if minutes <= 8 * 60:
        return "within a few hours"
    if minutes <= 24 * 60:
        return "within a day"
    return f"within {round(minutes / (24 * 60))} days"


def web_form_url(workspace: Workspace) -> str:
    return settings.PUBLIC_BASE_URL + reverse("webform:form", kwargs={"slug": workspace.slug})


def web_form_is_open(workspace: Workspace) -> bool:
    """False when the workspace has web form channels and all are switched off."""
    rows = Channel.objects.for_workspace(workspace).filter(kind="webform")
    return not rows.exists() or rows.filter(is_active=True).exists()
