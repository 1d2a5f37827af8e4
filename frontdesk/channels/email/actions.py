"""Writes of the email channel: set one up, change it, move a mail to another
conversation. Each takes the acting member as `by` and checks the capability."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max

from frontdesk.channels.actions import ChannelSetupError
from frontdesk.channels.email.models import (
    EmailChannelConfig,
    EmailDetail,
    ThreadSignal,
    UndeliverableAddress,
)
from frontdesk.core import roles
from frontdesk.core.models import Membership, Workspace
from frontdesk.core.permissions import require
from frontdesk.inbox import live
from frontdesk.inbox.actions.common import InboxError, require_same_workspace
from frontdesk.inbox.models import Channel, Conversation, Message, MessageKind

EMAIL_KIND = "email"
# What the setup form may change on a configuration row.
SETUP_FIELDS = (
    "address",
    "other_addresses",
    "display_name",
    "from_address",
    "plus_addressing",
    "inbound_provider",
    "webhook_secret",
    "tracking_verification_key",
    "sns_topic_arns",
    "outbound_backend",
    "smtp_host",
    "smtp_port",
    "smtp_username",
    "smtp_password",
    "smtp_use_tls",
    "api_key",
    "max_message_bytes",
    "auto_ack_text",
)
# Secrets: a blank value keeps the stored one.
SECRET_FIELDS = ("webhook_secret", "smtp_password", "api_key")


def _check_addresses(values: Mapping[str, Any], *, exclude: int | None) -> None:
    address = str(values.get("address") or "").strip().lower()
    if not address or "@" not in address:
        raise ChannelSetupError("Enter the address customers write to.", field="address")
    if "+" in address.partition("@")[0]:
        raise ChannelSetupError(
            "Use the plain address (without +…): reply addresses are made from it.",
            field="address",
        )
    taken = EmailChannelConfig.objects.filter(address__iexact=address)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ChannelSetupError(
            "Another email channel already receives this address.", field="address"
        )


# arn:aws:sns:<region>:<account>:<topic> (aws-cn, aws-us-gov partitions too).
SNS_TOPIC_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}")


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {k: values[k] for k in SETUP_FIELDS if k in values}
    for name in ("address", "from_address"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "").strip().lower()
    if "sns_topic_arns" in cleaned:
        topics = [line.strip() for line in str(cleaned["sns_topic_arns"] or "").splitlines()]
        for topic in filter(None, topics):
            if not SNS_TOPIC_ARN.fullmatch(topic):
                raise ChannelSetupError(
                    f"“{topic[:80]}” is not an SNS topic ARN (arn:aws:sns:region:account:name).",
                    field="sns_topic_arns",
                )
        cleaned["sns_topic_arns"] = "\n".join(dict.fromkeys(filter(None, topics)))
    return cleaned


@transaction.atomic
def create_email_channel(
    workspace: Workspace,
    *,
    name: str,
    setup: Mapping[str, Any],
    by: Membership,
    auto_acknowledge: bool = False,
) -> Channel:
    """Add an email channel: one Channel(kind="email") and its configuration."""
    require(by, roles.MANAGE_CHANNELS, workspace_id=workspace.pk)
    if not name.strip():
        raise ChannelSetupError("Give the channel a name.", field="name")
    _check_addresses(setup, exclude=None)
    channel = Channel.objects.create(
        workspace=workspace,
        kind=EMAIL_KIND,
        name=name.strip(),
        settings={"threading_window_hours": 24, "auto_acknowledge": auto_acknowledge},
    )
    EmailChannelConfig.objects.create(workspace=workspace, channel=channel, **_clean(setup))
    return channel


@transaction.atomic
def update_email_channel(
    config: EmailChannelConfig,
    *,
    setup: Mapping[str, Any],
    by: Membership,
    auto_acknowledge: bool | None = None,
) -> EmailChannelConfig:
    """Change an email channel's addresses, providers, limits or acknowledgement."""
    require(by, roles.MANAGE_CHANNELS, workspace_id=config.workspace_id)
    values = _clean(setup)
    merged = {"address": config.address, **values}
    _check_addresses(merged, exclude=config.pk)
    for name, value in values.items():
        if name in SECRET_FIELDS and not value:
            continue
        setattr(config, name, value)
    config.save()
    if auto_acknowledge is not None:
        channel = config.channel
        options = dict(channel.settings) if isinstance(channel.settings, dict) else {}
        options["auto_acknowledge"] = auto_acknowledge
        channel.settings = options
        channel.save(update_fields=["settings"])
    return config


def _refresh_last_message(conversation: Conversation) -> None:
    last = Message.objects.filter(conversation=conversation).aggregate(at=Max("created_at"))["at"]
    if last is not None:
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=last)


@transaction.atomic
def move_message(message: Message, *, to: Conversation, by: Membership) -> Message:
    """Move a customer's message (a mail threaded wrongly) to another conversation of
    the workspace; the mail's threading signal then says "moved by staff"."""
    require(by, roles.REPLY, workspace_id=message.workspace_id)
    require_same_workspace(message.workspace_id, to)
    if message.kind != MessageKind.INCOMING:
        raise InboxError("Only a customer's message can be moved.")
    source = message.conversation
    if source.pk == to.pk:
        raise InboxError("The message is already in that conversation.")
    Message.objects.filter(pk=message.pk).update(conversation=to)
    message.conversation = to
    EmailDetail.objects.filter(message=message).update(thread_signal=ThreadSignal.MOVED)
    for conversation in (source, to):
        _refresh_last_message(conversation)
        conversation.refresh_from_db()
        live.conversation_changed(conversation)
    live.message_published(message, event_type="message.updated")
    return message


def clear_undeliverable(marked: UndeliverableAddress, *, by: Membership) -> str:
    """Staff say an address that bounced can receive mail again: the mark is removed,
    so the composer offers email to it and replies go out. Returns the address."""
    require(by, roles.REPLY, workspace_id=marked.workspace_id)
    address = marked.address
    UndeliverableAddress.objects.filter(pk=marked.pk, workspace_id=marked.workspace_id).delete()
    return address
