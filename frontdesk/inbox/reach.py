"""How a reply can reach a customer: the ways the composer offers, and why one cannot.

A reply goes out through a channel, to the customer's address of the kind that
channel's adapter answers (`Connector.reply_identity_kind`): a web form's reply is an
email, a text channel's a text. A customer who left only a phone number on the web
form can be answered by text, not through the form; one who texted STOP cannot be
texted. `reply_routes` lists every active channel of the workspace that can answer,
the conversation's own first, each with the address it would use or the reason it
cannot; the composer offers the deliverable ones and says why the others are not.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from frontdesk.connectors.base import AttachmentSupport
from frontdesk.core.consent import last_revocation, may_send, topic_for_identity_kind
from frontdesk.core.models import Contact
from frontdesk.inbox import kinds
from frontdesk.inbox.actions.replies import reply_address
from frontdesk.inbox.models import Channel, Conversation

# What staff call a reply to an address of this kind.
VERBS = {"phone": "Text", "email": "Email"}
MISSING = {"phone": "no phone number", "email": "no email address"}


@dataclass(frozen=True)
class ReplyRoute:
    """One way to answer: `channel`, the address it would use (`address`, as people
    read it), and `problem`, why it cannot deliver ("" when it can). `attachments`
    says what files go with it: "all", "pictures" (as a picture message) or "none"."""

    channel: Channel
    verb: str
    address: str
    problem: str = ""
    attachments: AttachmentSupport = "all"

    @property
    def deliverable(self) -> bool:
        return not self.problem

    @property
    def label(self) -> str:
        """“Text +1 555-010-0142 (Main number)”, “Email ana@example.org (Contact form)”."""
        return f"{self.verb} {self.address or ''}".strip() + f" ({self.channel.name})"

    @property
    def hint(self) -> str:
        """The composer's “To Ana by …” line, or why it cannot go."""
        if self.problem:
            return f"{self.verb} through {self.channel.name}: {self.problem}"
        return f"by {self.verb.lower()} to {self.address}"


def _problem_with_consent(contact: Contact, identity_kind: str) -> str:
    topic = topic_for_identity_kind(identity_kind)
    if topic is None or may_send(contact, topic):
        return ""
    revoked = last_revocation(contact, topic)
    on = f"{timezone.localtime(revoked.created_at):%-d %b %Y}" if revoked else ""
    noun = "texts" if identity_kind == "phone" else "messages"
    if revoked is not None and revoked.source.startswith("SMS keyword"):
        keyword = revoked.source.removeprefix("SMS keyword").strip(" :") or "STOP"
        return f"texted {keyword} on {on}; {noun} won’t be sent"
    if revoked is not None:
        return f"opted out of {noun} on {on}; {noun} won’t be sent"
    return f"opted out of {noun}"


def _unreachable_sender(contact: Contact, identity_kind: str) -> str:
    """Why a one-way sender (a short code, a sender ID) cannot get a text back."""
    if identity_kind != "phone":
        return ""
    senders = [i for i in contact.identities.all() if i.is_automated_sender]
    if not senders:
        return ""
    sender = senders[0]
    return (
        f"{sender.display_value} is a {sender.get_kind_display().lower()}, "
        "an automated sender that can’t receive texts"
    )


def reply_routes(conversation: Conversation) -> list[ReplyRoute]:
    """Every way a reply on this conversation could go, its own channel first."""
    contact = conversation.contact
    channels = sorted(
        Channel.objects.filter(workspace_id=conversation.workspace_id, is_active=True),
        key=lambda c: (c.pk != conversation.channel_id, c.kind, c.name, c.pk),
    )
    identities = {(i.kind, i.value): i for i in contact.identities.all()}
    addresses: dict[str, str | None] = {}  # per identity kind: channels of a kind share it
    routes = []
    for channel in channels:
        try:
            adapter = kinds.get(channel.kind).adapter
        except kinds.UnknownChannelKind:
            continue
        identity_kind = adapter.reply_identity_kind
        if not identity_kind or not adapter.can("send"):
            continue
        if identity_kind not in addresses:
            addresses[identity_kind] = reply_address(conversation, identity_kind)
        value = addresses[identity_kind]
        identity = identities.get((identity_kind, value or ""))
        address = identity.display_value if identity else (value or "")
        problem = ""
        if not value:
            problem = _unreachable_sender(contact, identity_kind) or MISSING.get(
                identity_kind, "no address"
            )
        routes.append(
            ReplyRoute(
                channel=channel,
                verb=VERBS.get(identity_kind, channel.name),
                address=address,
                problem=problem
                or _problem_with_consent(contact, identity_kind)
                or kinds.address_problem(conversation.workspace_id, identity_kind, value or ""),
                attachments=adapter.sends_attachments,
            )
        )
    return routes


def chosen_route(routes: list[ReplyRoute], conversation: Conversation) -> ReplyRoute | None:
    """The route the composer starts on: the conversation's own channel if it can
    deliver, else the first that can; None when none can."""
    for route in routes:
        if route.deliverable and route.channel.pk == conversation.channel_id:
            return route
    return next((route for route in routes if route.deliverable), None)
