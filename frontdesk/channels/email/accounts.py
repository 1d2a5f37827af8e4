"""The email adapter's account record for a channel, and address look-ups.

The adapter (`frontdesk/connectors/email/`) never reads the database: every send gets
an `EmailAccount` made here from the channel's `EmailChannelConfig`.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import parseaddr

from django.conf import settings

from frontdesk.channels.email.models import EmailChannelConfig, OutboundBackend
from frontdesk.channels.email.tokens import split_plus
from frontdesk.connectors.base import ConnectorError
from frontdesk.connectors.email.adapter import EmailAccount
from frontdesk.inbox.models import Channel

# anymail's backend per outbound choice (the API key is passed per channel).
ESP_BACKENDS = {
    OutboundBackend.MAILGUN: "anymail.backends.mailgun.EmailBackend",
    OutboundBackend.POSTMARK: "anymail.backends.postmark.EmailBackend",
    OutboundBackend.SENDGRID: "anymail.backends.sendgrid.EmailBackend",
    OutboundBackend.AMAZON_SES: "anymail.backends.amazon_ses.EmailBackend",
    OutboundBackend.BREVO: "anymail.backends.brevo.EmailBackend",
}
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def config_of(channel: Channel) -> EmailChannelConfig:
    config = EmailChannelConfig.objects.filter(
        channel_id=channel.pk, workspace_id=channel.workspace_id
    ).first()
    if config is None:
        raise ConnectorError(
            "This email channel has no address yet.", permanent=True, code="not_configured"
        )
    return config


def account_for(channel: Channel) -> EmailAccount:
    """The sending account of an email channel (ConnectorError "not_configured" if none)."""
    return account_from_config(config_of(channel), workspace_name=channel.workspace.name)


def account_from_config(config: EmailChannelConfig, *, workspace_name: str) -> EmailAccount:
    backend, options = "", {}
    if config.outbound_backend == OutboundBackend.SMTP:
        backend = SMTP_BACKEND
        options = {
            "host": config.smtp_host,
            "port": config.smtp_port,
            "username": config.smtp_username,
            "password": config.smtp_password,
            "use_tls": config.smtp_use_tls,
            "timeout": settings.EMAIL_TIMEOUT,
        }
    elif config.outbound_backend in ESP_BACKENDS:
        backend = ESP_BACKENDS[OutboundBackend(config.outbound_backend)]
        options = {"api_key": config.api_key}
    return EmailAccount(
        address=config.sending_address,
        display_name=config.display_name or workspace_name,
        backend=backend,
        backend_options=options,
    )


def addresses(channels: Sequence[Channel]) -> dict[int, str]:
    """{channel id: its address}, for the channel list."""
    return dict(
        EmailChannelConfig.objects.filter(channel__in=channels).values_list("channel_id", "address")
    )


def all_configs() -> list[EmailChannelConfig]:
    return list(EmailChannelConfig.objects.select_related("channel__workspace"))


def address_table() -> dict[str, EmailChannelConfig]:
    """{address or alias: its channel's config}, for every email channel (the SMTP
    receiver's routing table)."""
    table: dict[str, EmailChannelConfig] = {}
    for config in all_configs():
        for address in config.all_addresses():
            table.setdefault(address, config)
    return table


def config_for_recipient(
    address: str, table: dict[str, EmailChannelConfig]
) -> EmailChannelConfig | None:
    """The config mail to `address` belongs to: the address itself or its plus-address."""
    plain = address.strip().lower()
    if plain in table:  # an SMTP envelope address is bare: no parsing needed
        return table[plain]
    _, plain = parseaddr(address)
    plain = plain.strip().lower()
    if plain in table:
        return table[plain]
    base, tag = split_plus(plain)
    return table.get(base) if tag else None


def our_addresses(workspace_id: int) -> set[str]:
    """Every address this workspace sends or receives mail as (loops are refused)."""
    found: set[str] = set()
    for config in EmailChannelConfig.objects.filter(workspace_id=workspace_id):
        found.update(config.all_addresses())
        found.add(config.sending_address)
    _, default = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if default:
        found.add(default.lower())
    return found
