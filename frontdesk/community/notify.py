"""Telling participants something: the one interface community uses to reach people.

Participant updates (a suggestion's status, the announced choice, a moderator's
message about a post, thanks for an accepted answer) are outreach notices: queued
inside the acting staff member's transaction, one delivery each, sent by outreach's
worker from the staff member's sender identity (or the workspace's default sender)
with List-Unsubscribe, suppression and consent checks, and replies routed to the
inbox. They belong to the outreach topic "community" (Community updates): a
participant who unsubscribes from one stops getting them, and nothing else.
Each person is reached by email if they have one (and did not revoke email
consent), else by text.

The sign-in link and code are not updates: `send_email` / `send_sms` send them at
once, straight through Django's mail and the workspace's SMS channel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse

from frontdesk.connectors import http
from frontdesk.connectors.base import ConnectorError, OutboundMessage
from frontdesk.core import roles
from frontdesk.core.models import Membership, Workspace
from frontdesk.inbox import kinds
from frontdesk.inbox.models import Channel
from frontdesk.outreach.actions.app_notices import Recipient, TopicSpec, Wording, queue_notices

TOPIC = TopicSpec(
    slug="community",
    name="Community updates",
    description="News about suggestions you voted for, questions you took part in, and "
    "your posts in the community.",
)

GREETING = '<p>Hi {{ contact.first_name|default:"there" }},</p>\n'

STATUS = Wording(
    key="community.status",
    name="Community: a suggestion you voted for changed",
    subject="“{{ item.suggestion }}” is {{ item.status }}",
    html=GREETING + "<p>You voted for “{{ item.suggestion }}” in {{ library.name }}'s community. "
    "It is now {{ item.status }}.</p>\n<p>{{ item.reason }}</p>\n"
    '<p><a href="{{ item.url }}">See the question</a></p>',
    sms_body="{{ library.name }}: “{{ item.suggestion }}”, which you voted for, is now "
    "{{ item.status }}. {{ item.reason }} {{ item.url }}",
)
ANNOUNCEMENT = Wording(
    key="community.announcement",
    name="Community: the community's choice",
    subject="You chose: {{ item.choice }}",
    html=GREETING + "<p>{{ item.question }}</p>\n"
    "<p>The community's choice: <b>{{ item.choice }}</b>. {{ item.credit }}.</p>\n"
    "<p>{{ item.message }}</p>\n<p>Thank you for taking part.</p>\n"
    '<p><a href="{{ item.url }}">See the question</a></p>',
    sms_body="{{ library.name }}: you chose {{ item.choice }}. {{ item.credit }}. "
    "{{ item.message }} {{ item.url }}",
)
POST_REJECTED = Wording(
    key="community.post_rejected",
    name="Community: a moderator about your post",
    subject="About your post in {{ library.name }}'s community",
    html=GREETING + "<p>{{ item.message }}</p>",
    sms_body="{{ library.name }} community: {{ item.message }}",
)
ANSWER_ACCEPTED = Wording(
    key="community.answer_accepted",
    name="Community: your answer was accepted",
    subject="Thank you from {{ library.name }}",
    html=GREETING + "<p>Your answer to “{{ item.question }}” is now the accepted one.</p>\n"
    "<p>{{ item.thanks }}</p>",
    sms_body="{{ library.name }}: your answer to “{{ item.question }}” is now the "
    "accepted one. {{ item.thanks }}",
)


@dataclass(frozen=True)
class Notice:
    """One update to send: its wording, its own id (a repeat sends nothing) and the
    fields the wording names."""

    wording: Wording
    ref: str
    item: Mapping[str, Any] = field(default_factory=dict)


def question_url(workspace: Workspace, number: int) -> str:
    """The public page of question `number`, absolute (it goes into messages)."""
    return settings.PUBLIC_BASE_URL + reverse(
        "community_public:question", args=[workspace.slug, number]
    )


def send_email(workspace: Workspace, *, to: str, subject: str, body: str) -> None:
    """One plain-text email from the workspace (raises on an SMTP failure)."""
    sender = settings.DEFAULT_FROM_EMAIL
    name = workspace.name.replace('"', "'")
    if "<" in sender:
        sender = f'"{name}" <{sender.split("<", 1)[1].rstrip(">")}>'
    EmailMessage(subject=subject, body=body, from_email=sender, to=[to]).send()


def send_sms(workspace: Workspace, *, to: str, body: str, in_worker: bool = False) -> None:
    """One text through the workspace's first active SMS channel (ConnectorError when
    there is none or the provider refuses). When the provider is served by this very
    server (the demo's Twilio stand-in), the worker sends it instead (after commit):
    a web process must not wait on a request to itself (with one thread per process
    it waits until the timeout whenever that request reaches the same process)."""
    channel = Channel.objects.for_workspace(workspace).filter(kind="sms", is_active=True).first()
    if channel is None:
        raise ConnectorError("No SMS channel is set up to send the code.", permanent=True)
    if not in_worker and _provider_is_this_server(channel):
        from frontdesk.community import tasks

        transaction.on_commit(lambda: tasks.send_text(workspace.pk, to, body))
        return
    kind = kinds.get("sms")
    kind.connector().send(kind.account_for(channel), OutboundMessage(to_address=to, body=body))


def _provider_is_this_server(channel: Channel) -> bool:
    config = getattr(channel, "sms_config", None)
    return http.served_here(getattr(config, "provider", "") or "")


def notify(
    workspace: Workspace, contact_ids: Iterable[int], notice: Notice, *, by: Membership
) -> int:
    """Queue `notice` for each contact once, through outreach (see the module's
    docstring), from `by`'s sender identity or the default sender. Call inside the
    action's transaction. Returns how many were queued (0 when no sender can send)."""
    ids = sorted(set(contact_ids))
    queued = queue_notices(
        workspace.pk,
        wording=notice.wording,
        topic=TOPIC,
        recipients=[
            Recipient(contact_id=pk, external_id=f"community-{notice.ref}-c{pk}", item=notice.item)
            for pk in ids
        ],
        capability=roles.MODERATE,
        by=by,
    )
    return queued.queued
