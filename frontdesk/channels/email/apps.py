from django.apps import AppConfig

from frontdesk.connectors.email.adapter import EmailConnector
from frontdesk.inbox.kinds import ChannelKind


class EmailConfig(AppConfig):
    """Email: received by the built-in SMTP receiver, IMAP or a provider's webhook;
    replies threaded and sent as the person who wrote them."""

    name = "frontdesk.channels.email"
    label = "email"
    verbose_name = "Email"

    channel_kind = ChannelKind(
        kind="email",
        label="Email",
        adapter=EmailConnector,
        account="frontdesk.channels.email.accounts.account_for",
        after_inbound="frontdesk.channels.email.handling.after_inbound",
        addresses="frontdesk.channels.email.accounts.addresses",
        webhook_urls="frontdesk.channels.email.webhook_urls",
        setup_urls="frontdesk.channels.email.setup_urls",
        create_url="email-create",
        detail_url="email-detail",
        icon="mail",
        add_title="Add an email address",
        add_help="Customers write to your address; staff answer from the inbox as "
        "themselves. Mail arrives through the built-in SMTP receiver, IMAP, or a "
        "provider's inbound webhook.",
        prepare_inbound="frontdesk.channels.email.processing.prepare",
        find_thread="frontdesk.channels.email.threading.find_thread",
        compose="frontdesk.channels.email.outbound.compose",
        compose_for=("email", "webform"),
        address_problem="frontdesk.channels.email.undeliverable.address_problem",
        message_notes="frontdesk.channels.email.threading.message_notes",
    )
    # A contact's addresses that bounced, on their page (core/contact_sections.py).
    contact_sections = ("frontdesk.channels.email.undeliverable.contact_section",)

    # Threads `frontdesk worker` runs beside its tasks: IMAP IDLE (imap_idle.py).
    worker_threads = ("frontdesk.channels.email.imap_idle.run_in_worker",)

    def ready(self) -> None:
        # Registers the periodic IMAP poll with the task queue.
        from frontdesk.channels.email import imap_poll  # noqa: F401
