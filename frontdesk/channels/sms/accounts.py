"""The SMS adapter's account record for a channel, built from its configuration row.

The adapter (`frontdesk/connectors/sms/`) never reads the database: every call gets
an `SmsAccount` made here, with the credentials, the number and the public URL the
provider reports delivery to.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from frontdesk.channels.sms.models import SmsChannelConfig
from frontdesk.connectors.base import ConnectorError
from frontdesk.connectors.sms.providers import SmsAccount
from frontdesk.inbox.models import Channel


def account_for(channel: Channel) -> SmsAccount:
    """The provider account of an SMS channel, from its SmsChannelConfig.

    Raises ConnectorError(permanent=True, code="not_configured") when the channel has
    no SMS configuration (or it belongs to another workspace than the channel).
    """
    config = SmsChannelConfig.objects.filter(
        channel_id=channel.pk, workspace_id=channel.workspace_id
    ).first()
    if config is None:
        raise ConnectorError(
            "This SMS channel has no number or provider settings yet.",
            permanent=True,
            code="not_configured",
        )
    return account_from_config(config)


def account_from_config(config: SmsChannelConfig) -> SmsAccount:
    """An SmsAccount from a loaded SmsChannelConfig row (webhook views have one)."""
    return SmsAccount(
        provider=config.provider,
        account_sid=config.account_sid.strip(),
        auth_token=config.auth_token.strip(),
        phone_number=config.phone_number.strip(),
        messaging_service_sid=config.messaging_service_sid.strip(),
        status_callback=status_callback_url(config.webhook_key),
    )


def status_callback_url(webhook_key: str) -> str | None:
    """The public URL the provider reports delivery to for the channel with this
    webhook key, or None when the status endpoint is not installed."""
    if not webhook_key:
        return None
    try:
        path = reverse("sms:status", kwargs={"key": webhook_key})
    except NoReverseMatch:
        return None
    return settings.PUBLIC_BASE_URL + path


def addresses(channels: Sequence[Channel]) -> dict[int, str]:
    """{channel id: its number as people write it}, for the channel list."""
    from frontdesk.channels.sms.poster import number_lines

    numbers = SmsChannelConfig.objects.filter(channel__in=channels).values_list(
        "channel_id", "phone_number"
    )
    return {channel_id: number_lines(number, "")[0] for channel_id, number in numbers}
