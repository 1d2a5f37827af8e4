from django.apps import AppConfig

from frontdesk.connectors.webform.adapter import WebFormConnector
from frontdesk.inbox.kinds import ChannelKind


class WebFormConfig(AppConfig):
    """The public "Contact us" form: its pages, templates and system check."""

    name = "frontdesk.channels.webform"
    label = "webform"
    verbose_name = "Web form"

    channel_kind = ChannelKind(
        kind="webform",
        label="Web form",
        adapter=WebFormConnector,
        account="frontdesk.channels.webform.accounts.account_for",
        addresses="frontdesk.channels.webform.accounts.addresses",
        public_urls=("f/", "frontdesk.channels.webform.urls"),
        icon="globe",
        ready_address="frontdesk.channels.webform.queries.web_form_url",
    )

    def ready(self) -> None:
        from frontdesk.channels.webform import checks  # noqa: F401 (registers the check)
