"""Every write of listening. Views, tasks and commands all call these."""

from frontdesk.listening.actions.common import ListeningError, NotAllowed
from frontdesk.listening.actions.mentions import (
    first_contact_draft,
    reach_out,
    set_mention_status,
)
from frontdesk.listening.actions.social import (
    accounts_of,
    connect_account,
    disconnect_account,
)
from frontdesk.listening.actions.sources import (
    SourceSettings,
    create_source,
    delete_source,
    poll_soon,
    update_source,
)
from frontdesk.listening.actions.watches import (
    WatchSettings,
    add_exclusion,
    create_watch,
    delete_watch,
    update_watch,
)

__all__ = [
    "ListeningError",
    "NotAllowed",
    "SourceSettings",
    "WatchSettings",
    "accounts_of",
    "add_exclusion",
    "connect_account",
    "create_source",
    "create_watch",
    "delete_source",
    "delete_watch",
    "disconnect_account",
    "first_contact_draft",
    "poll_soon",
    "reach_out",
    "set_mention_status",
    "update_source",
    "update_watch",
]
