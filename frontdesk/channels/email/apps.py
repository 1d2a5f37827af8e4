"""Stand-in for the email channel app (the channel branch's version wins at merge).

It declares just enough of the email ChannelKind for the IMAP path to run; the real
one (adapter, setup pages, threading, outbound) comes from the channel branch, which
must keep two lines of this: `imap_models` imported by models.py, and `imap_poll`
imported in ready() (it registers the periodic poll task).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.apps import AppConfig

from frontdesk.connectors.base import Connector
from frontdesk.inbox.kinds import ChannelKind


class _EmailConnector(Connector[Any]):
    kind: ClassVar[str] = "email"
    label: ClassVar[str] = "Email"
    reply_identity_kind: ClassVar[str] = "email"


class EmailConfig(AppConfig):
    name = "frontdesk.channels.email"
    label = "email"
    verbose_name = "Email"

    channel_kind = ChannelKind(
        kind="email",
        label="Email",
        adapter=_EmailConnector,
        account="frontdesk.channels.email.receive.account_for",
        setup_urls="frontdesk.channels.email.setup_urls",
        detail_url="email-imap-list",
        icon="mail",
        add_title="Add a mailbox",
    )

    def ready(self) -> None:
        # The periodic IMAP poll (a Huey task) registers when its module is imported.
        from frontdesk.channels.email import imap_poll  # noqa: F401
