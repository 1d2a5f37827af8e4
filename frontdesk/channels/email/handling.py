"""What an email channel does after a customer's mail is in the inbox (`after_inbound`,
run by intake in its transaction).

- The mail's EmailDetail is linked to its message, and the threading signal noted
  ("same sender's open conversation" when intake's usual threading placed it).
- People CC'd (and other addressees that are not ours) become the conversation's
  participants: copied on replies, allowed to continue the thread.
- An address that bounced before is deliverable again: its owner just wrote.
- The first mail of a new conversation is acknowledged when the channel says so,
  but never an auto-reply, out-of-office, bounce or list mail, and at most once per
  sender per day (two auto-responders must not talk to each other for ever).
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from frontdesk.channels.email.accounts import our_addresses
from frontdesk.channels.email.models import (
    DEFAULT_AUTO_ACK_TEXT,
    EmailChannelConfig,
    EmailDetail,
    EmailParticipant,
    ThreadSignal,
    UndeliverableAddress,
)
from frontdesk.inbox.actions.replies import send_automatic_reply
from frontdesk.inbox.models import AutomaticReason, Conversation, Message, MessageKind

ACK_REASONS = (AutomaticReason.ACKNOWLEDGEMENT, AutomaticReason.AFTER_HOURS)
ACK_INTERVAL = timedelta(days=1)
_VARIABLE = re.compile(r"\{(\w+)\}")


def fill(text: str, values: dict[str, str]) -> str:
    """Replace {name} for the names given; anything else in braces stays as written."""
    return _VARIABLE.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def after_inbound(message: Message, started_conversation: bool) -> Message | None:
    if message.kind != MessageKind.INCOMING or message.inbound_event_id is None:
        return None
    conversation = message.conversation
    detail = EmailDetail.objects.filter(event_id=message.inbound_event_id).first()
    if detail is None:
        return None
    detail.message = message
    if not detail.thread_signal and not started_conversation:
        detail.thread_signal = ThreadSignal.CONTACT
    detail.save(update_fields=["message", "thread_signal"])
    sender = (message.inbound_event.sender_address if message.inbound_event else "").lower()
    _add_participants(conversation, detail, sender)
    UndeliverableAddress.objects.filter(workspace_id=message.workspace_id, address=sender).delete()
    if not started_conversation or detail.is_auto_reply or detail.is_list_mail:
        return None
    channel = message.channel or conversation.channel
    if channel is None or channel.kind != "email" or not channel.auto_acknowledge:
        return None
    recently = Message.objects.filter(
        workspace_id=message.workspace_id,
        conversation__contact_id=conversation.contact_id,
        automatic__in=ACK_REASONS,
        created_at__gte=timezone.now() - ACK_INTERVAL,
    )
    if recently.exists():
        return None
    config = EmailChannelConfig.objects.filter(channel_id=channel.pk).first()
    if config is None:
        return None
    template = config.auto_ack_text.strip() or DEFAULT_AUTO_ACK_TEXT
    text = fill(template, {"workspace": conversation.workspace.name})
    return send_automatic_reply(
        conversation, body=text, reason=AutomaticReason.ACKNOWLEDGEMENT, trigger=message
    )


def _add_participants(conversation: Conversation, detail: EmailDetail, sender: str) -> None:
    ours = our_addresses(conversation.workspace_id)
    contact_addresses = set(
        conversation.contact.identities.filter(kind="email").values_list("value", flat=True)
    )
    people = []
    for name, address in [*detail.cc, *detail.to]:
        address = str(address).strip().lower()
        if not address or "@" not in address or address == sender:
            continue
        if address in ours or address in contact_addresses:
            continue
        base = address.split("+", 1)[0] + "@" + address.rpartition("@")[2]
        if base in ours:
            continue  # one of our reply addresses
        people.append(
            EmailParticipant(
                workspace_id=conversation.workspace_id,
                conversation=conversation,
                address=address[:320],
                name=str(name)[:160],
            )
        )
    if people:
        EmailParticipant.objects.bulk_create(people, ignore_conflicts=True)
