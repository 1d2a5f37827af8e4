"""The one list of channel kinds: kind -> adapter class.

Channel choices, setup pages and admin choices derive from `CONNECTORS`; adding a
provider means adding its folder and one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

from frontdesk.connectors.base import Connector
from frontdesk.connectors.sms.adapter import SmsConnector
from frontdesk.connectors.webform.adapter import WebFormConnector

CONNECTORS: dict[str, type[Connector]] = {
    WebFormConnector.kind: WebFormConnector,
    SmsConnector.kind: SmsConnector,
    # TODO(issue: email channel): "email".
}


# What a channel kind does when intake stores a customer's message, beyond the inbox
# itself: kind -> dotted path of a function taking the message id and whether it
# started a new conversation (SMS: STOP/START/HELP, keyword replies, auto-acknowledge).
# It runs inside intake's transaction, so an opt-out and the message it came with are
# stored together or not at all; replies it queues are delivered after commit.
AFTER_INBOUND: dict[str, str] = {
    "sms": "frontdesk.connectors.sms.handling.after_inbound",
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


def after_inbound_hook(kind: str) -> Callable[[int, bool], Any] | None:
    """The reaction of `kind` to a stored customer message, or None."""
    path = AFTER_INBOUND.get(kind)
    return import_string(path) if path else None
