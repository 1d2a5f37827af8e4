from django.apps import AppConfig

from frontdesk.connectors.sms.adapter import SmsConnector
from frontdesk.inbox.kinds import ChannelKind


class SmsConfig(AppConfig):
    """Text messages through an SMS provider (Twilio first)."""

    name = "frontdesk.channels.sms"
    label = "sms"
    verbose_name = "SMS"

    channel_kind = ChannelKind(
        kind="sms",
        label="Text messages",
        adapter=SmsConnector,
        account="frontdesk.channels.sms.accounts.account_for",
        after_inbound="frontdesk.channels.sms.handling.after_inbound",
        addresses="frontdesk.channels.sms.accounts.addresses",
        webhook_urls="frontdesk.channels.sms.webhook_urls",
        setup_urls="frontdesk.channels.sms.setup_urls",
        create_url="sms-create",
        detail_url="sms-detail",
        icon="phone",
        add_title="Add a text-message number",
        add_help="Customers text your Twilio number; staff answer from the inbox. "
        "You need the number, its Account SID and Auth Token.",
    )

    def ready(self) -> None:
        # Forget remembered webhook channels when a configuration or channel changes.
        from frontdesk.channels.sms import lookup  # noqa: F401
