"""How a reply goes out as email: the email kind's `compose` hook.

It shapes replies on email channels and the web form's email replies alike, so a
patron's answer to either comes home to the conversation:

- Reply-To: the conversation's reply address (desk+c42-…@) on the channel's own
  address, or for a web-form reply the workspace's first email channel;
- References / In-Reply-To: the conversation's Message-IDs, answering the newest mail
  of the customer's;
- CC: the conversation's participants;
- the subject's "[#42]" and the text's "[ref c42-…]": weaker signals for clients
  that drop everything else;
- automatic answers marked so (Auto-Submitted).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from frontdesk.channels.email import tokens
from frontdesk.channels.email.models import EmailChannelConfig, EmailDetail, EmailParticipant
from frontdesk.connectors.base import OutboundMessage
from frontdesk.connectors.email.adapter import MESSAGE_ID
from frontdesk.inbox.models import Channel, Conversation, Message, MessageKind


def config_for(conversation: Conversation, channel: Channel) -> EmailChannelConfig | None:
    """The email configuration a reply's addresses come from."""
    if channel.kind == "email":
        return EmailChannelConfig.objects.filter(channel_id=channel.pk).first()
    return (
        EmailChannelConfig.objects.filter(
            workspace_id=conversation.workspace_id, channel__is_active=True
        )
        .order_by("id")
        .first()
    )


def thread_ids(conversation: Conversation, *, exclude: int | None = None) -> tuple[list[str], str]:
    """(every Message-ID of the conversation oldest first, the customer's newest one)."""
    rows: list[tuple[Any, int, str]] = []
    for created, message_id in EmailDetail.objects.filter(
        message__conversation=conversation
    ).values_list("message__created_at", "header_message_id"):
        rows.append((created, 0, str(message_id)))
    replies = (
        Message.objects.filter(conversation=conversation, kind=MessageKind.REPLY)
        .exclude(provider_message_id__isnull=True)
        .exclude(pk=exclude or 0)
        .values_list("created_at", "provider_message_id")
    )
    for created, reply_id in replies:
        rows.append((created, 1, str(reply_id)))
    rows.sort(key=lambda row: (row[0], row[1]))
    ids = [row[2] for row in rows if MESSAGE_ID.match(row[2])]
    customer = [row[2] for row in rows if row[1] == 0 and MESSAGE_ID.match(row[2])]
    return ids, customer[-1] if customer else (ids[-1] if ids else "")


def compose(message: Message, outbound: OutboundMessage) -> OutboundMessage:
    conversation = message.conversation
    channel = message.channel or conversation.channel
    config = config_for(conversation, channel)
    if config is None:
        return outbound
    workspace_id = conversation.workspace_id
    ids, answered = thread_ids(conversation, exclude=message.pk)
    reply_to = (
        tokens.reply_address(config.address, workspace_id, conversation.pk)
        if config.plus_addressing
        else config.address
    )
    to = (outbound.to_address or "").lower()
    cc = tuple(
        (p.name, p.address)
        for p in EmailParticipant.objects.filter(conversation=conversation)
        if p.address != to
    )
    subject = outbound.subject
    tag = f"[#{conversation.number}]"
    if tag not in subject:
        subject = f"{subject} {tag}".strip()
    return dataclasses.replace(
        outbound,
        reply_to=reply_to,
        references=tuple(ids),
        thread_key=answered or outbound.thread_key,
        cc=cc,
        subject=subject,
        marker=tokens.marker_for(workspace_id, conversation.pk),
        automatic=bool(message.automatic),
    )
