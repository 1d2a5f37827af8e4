"""The one list of channel kinds: kind -> adapter class.

Channel choices, setup pages and admin choices derive from `CONNECTORS`; adding a
provider means adding its folder and one line here.
"""

from __future__ import annotations

from frontdesk.connectors.base import Connector
from frontdesk.connectors.webform.adapter import WebFormConnector

CONNECTORS: dict[str, type[Connector]] = {
    WebFormConnector.kind: WebFormConnector,
    # TODO(issue: email channel): "email"; TODO(issue: SMS): "sms".
}


class UnknownConnector(KeyError):
    """No adapter is registered for this channel kind."""


def get_connector(kind: str) -> Connector:
    """An instance of the adapter for `kind` (adapters hold no per-channel state)."""
    try:
        return CONNECTORS[kind]()
    except KeyError:
        raise UnknownConnector(kind) from None


def kind_choices() -> list[tuple[str, str]]:
    """(kind, label) pairs for model and form choices."""
    return [(kind, cls.label) for kind, cls in CONNECTORS.items()]
