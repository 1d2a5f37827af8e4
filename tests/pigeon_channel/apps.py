from django.apps import AppConfig

from frontdesk.inbox.kinds import ChannelKind
from tests.pigeon_channel.adapter import PigeonConnector


class PigeonConfig(AppConfig):
    name = "tests.pigeon_channel"
    label = "pigeon_channel"

    channel_kind = ChannelKind(
        kind="pigeon",
        label="Carrier pigeon",
        adapter=PigeonConnector,
        account="tests.pigeon_channel.adapter.account_for",
        webhook_urls="tests.pigeon_channel.urls",
        setup_urls="tests.pigeon_channel.setup_urls",
        create_url="pigeon-create",
        add_title="Add a pigeon loft",
        add_help="Patrons tie a note to a pigeon; staff answer from the inbox.",
    )
