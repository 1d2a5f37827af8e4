"""Writes behind Settings → Channels: connect a text-message number, tune a channel.

Every action takes the acting member as `by` and checks `manage_channels` itself, so
the web pages, the API and a management command share one permission rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from frontdesk.channels.actions import (
    THREADING_WINDOW_CHOICES,
    ChannelSetupError,
    set_channel_active,
    update_channel_options,
)
from frontdesk.channels.sms.handling import RESERVED_WORDS
from frontdesk.channels.sms.models import SmsChannelConfig, SmsKeyword
from frontdesk.core import roles
from frontdesk.core.errors import NotAllowed
from frontdesk.core.models import Membership, Workspace
from frontdesk.core.permissions import require
from frontdesk.inbox.models import Channel

__all__ = [
    "RESERVED_KEYWORDS",
    "THREADING_WINDOW_CHOICES",
    "ChannelSetupError",
    "NotAllowed",
    "SmsConnection",
    "add_keyword",
    "create_sms_channel",
    "delete_keyword",
    "set_channel_active",
    "update_channel_options",
    "update_keyword",
    "update_sms_connection",
    "update_sms_replies",
]

SMS_KIND = "sms"
# Carrier and Twilio opt-out / opt-in / help words (and whatever else the SMS handling
# answers itself, e.g. YES): a keyword reply would never be sent for them.
RESERVED_KEYWORDS = RESERVED_WORDS | frozenset(
    {
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
        "START",
        "UNSTOP",
        "HELP",
        "INFO",
    }
)
KEYWORD = re.compile(r"^[A-Z0-9]{1,32}$")
REPLY_MAX = 1600  # Twilio's limit for one message body
TEMPLATE_VARIABLES = ("staff_first_name", "staff_name", "workspace")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class SmsConnection:
    """What connects a number to Twilio; values already validated and normalised."""

    phone_number: str
    account_sid: str
    messaging_service_sid: str = ""
    # None keeps the stored token (the page never shows it back).
    auth_token: str | None = None


def _require_manager(by: Membership, workspace_id: int) -> None:
    require(by, roles.MANAGE_CHANNELS, workspace_id=workspace_id)


def _check_number_is_free(workspace: Workspace, number: str, *, exclude: int | None) -> None:
    taken = (
        SmsChannelConfig.objects.for_workspace(workspace)
        .filter(phone_number=number)
        .exclude(pk=exclude)  # type: ignore[misc]  # pk=None excludes nothing
        .select_related("channel")
        .first()
    )
    if taken is not None:
        raise ChannelSetupError(
            f"This number is already connected as “{taken.channel.name}”.", field="phone_number"
        )


def check_template(text: str, *, allowed: tuple[str, ...] = TEMPLATE_VARIABLES) -> str:
    """Refuse placeholders other than `allowed` (a typo would reach the customer)."""
    text = text.strip()
    if len(text) > REPLY_MAX:
        raise ChannelSetupError(f"Keep it to {REPLY_MAX:,} characters (now {len(text):,}).")
    unknown = [name for name in PLACEHOLDER.findall(text) if name not in allowed]
    if unknown:
        names = ", ".join("{" + name + "}" for name in allowed)
        raise ChannelSetupError(f"“{{{unknown[0]}}}” is not something we can fill in; use {names}.")
    return text


@transaction.atomic
def create_sms_channel(
    workspace: Workspace, *, name: str, connection: SmsConnection, by: Membership
) -> Channel:
    """Connect a text-message number: one Channel(kind="sms") and its configuration.

    Both rows or neither. The channel starts active, continuing conversations for
    24 hours and without automatic acknowledgements.
    """
    _require_manager(by, workspace.pk)
    if not connection.auth_token:
        raise ChannelSetupError("Paste the Auth Token from the Twilio console.", field="auth_token")
    _check_number_is_free(workspace, connection.phone_number, exclude=None)
    channel = Channel.objects.create(
        workspace=workspace,
        kind=SMS_KIND,
        name=name.strip(),
        settings={"threading_window_hours": 24, "auto_acknowledge": False},
    )
    SmsChannelConfig.objects.create(
        workspace=workspace,
        channel=channel,
        phone_number=connection.phone_number,
        account_sid=connection.account_sid,
        auth_token=connection.auth_token,
        messaging_service_sid=connection.messaging_service_sid,
    )
    return channel


@transaction.atomic
def update_sms_connection(
    config: SmsChannelConfig, *, connection: SmsConnection, by: Membership
) -> SmsChannelConfig:
    """Change the number or the Twilio credentials; a blank token keeps the old one."""
    _require_manager(by, config.workspace_id)
    _check_number_is_free(config.workspace, connection.phone_number, exclude=config.pk)
    config.phone_number = connection.phone_number
    config.account_sid = connection.account_sid
    config.messaging_service_sid = connection.messaging_service_sid
    fields = ["phone_number", "account_sid", "messaging_service_sid", "updated_at"]
    if connection.auth_token:
        config.auth_token = connection.auth_token
        fields.append("auth_token")
    config.save(update_fields=fields)
    return config


@transaction.atomic
def update_sms_replies(
    config: SmsChannelConfig,
    *,
    by: Membership,
    auto_acknowledge: bool,
    on_duty: Membership | None,
    auto_ack_text: str,
    after_hours_text: str,
    help_text: str,
) -> SmsChannelConfig:
    """Set what the number answers on its own: acknowledgements and the HELP reply."""
    _require_manager(by, config.workspace_id)
    if on_duty is not None and (
        on_duty.workspace_id != config.workspace_id
        or not on_duty.is_active
        or not on_duty.can(roles.REPLY)
    ):
        raise ChannelSetupError("Choose an active member who answers customers.", field="on_duty")
    texts = {}
    for field, text in (
        ("auto_ack_text", auto_ack_text),
        ("after_hours_text", after_hours_text),
        ("help_text", help_text),
    ):
        try:
            texts[field] = check_template(text)
        except ChannelSetupError as exc:
            raise ChannelSetupError(str(exc), field=field) from None
        if not texts[field]:
            raise ChannelSetupError("This reply can’t be empty.", field=field)
    for field, text in texts.items():
        setattr(config, field, text)
    config.on_duty = on_duty
    config.save(update_fields=[*texts, "on_duty", "updated_at"])
    channel = config.channel
    options = dict(channel.settings) if isinstance(channel.settings, dict) else {}
    options["auto_acknowledge"] = auto_acknowledge
    channel.settings = options
    channel.save(update_fields=["settings"])
    return config


def clean_keyword(text: str) -> str:
    """The keyword as stored (upper case), or ChannelSetupError saying what is wrong."""
    word = (text or "").strip().upper()
    if not word:
        raise ChannelSetupError("Enter the word customers text, e.g. HOURS.", field="keyword")
    if not KEYWORD.match(word):
        raise ChannelSetupError(
            "One word of letters A–Z and digits, no spaces or accents (up to 32).",
            field="keyword",
        )
    if word in RESERVED_KEYWORDS:
        raise ChannelSetupError(
            f"{word} is reserved: carriers and Twilio use it to stop, restart or ask for "
            "help, so Frontdesk answers it itself. Choose another word.",
            field="keyword",
        )
    return word


def _clean_reply(text: str) -> str:
    try:
        reply = check_template(text, allowed=("workspace",))
    except ChannelSetupError as exc:
        raise ChannelSetupError(str(exc), field="reply") from None
    if not reply:
        raise ChannelSetupError("Write the reply customers get.", field="reply")
    return reply


def _save_keyword(keyword: SmsKeyword) -> SmsKeyword:
    duplicate = (
        SmsKeyword.objects.filter(channel_id=keyword.channel_id, keyword=keyword.keyword)
        .exclude(pk=keyword.pk)
        .exists()
    )
    if duplicate:
        raise ChannelSetupError(f"{keyword.keyword} already has a reply.", field="keyword")
    try:
        with transaction.atomic():
            keyword.save()
    except IntegrityError:  # a colleague added the same word a moment ago
        raise ChannelSetupError(
            f"{keyword.keyword} already has a reply.", field="keyword"
        ) from None
    return keyword


def add_keyword(channel: Channel, *, keyword: str, reply: str, by: Membership) -> SmsKeyword:
    """Add a keyword auto-reply (HOURS, ADDRESS) to an SMS channel."""
    _require_manager(by, channel.workspace_id)
    if channel.kind != SMS_KIND:
        raise ChannelSetupError("Keywords are for text-message channels.")
    row = SmsKeyword(
        workspace_id=channel.workspace_id,
        channel=channel,
        keyword=clean_keyword(keyword),
        reply=_clean_reply(reply),
    )
    return _save_keyword(row)


def update_keyword(
    row: SmsKeyword, *, keyword: str, reply: str, is_active: bool, by: Membership
) -> SmsKeyword:
    """Change a keyword, its reply, or switch it off."""
    _require_manager(by, row.workspace_id)
    row.keyword = clean_keyword(keyword)
    row.reply = _clean_reply(reply)
    row.is_active = is_active
    return _save_keyword(row)


def delete_keyword(row: SmsKeyword, *, by: Membership) -> None:
    _require_manager(by, row.workspace_id)
    row.delete()
