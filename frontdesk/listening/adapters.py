"""Which connector polls a source, and the account record it is given.

The adapters live in frontdesk/connectors/ (a pure layer: no models); this module
is the one place that turns a `Source` row into what they take.
"""

from __future__ import annotations

import importlib
from typing import Any

from frontdesk.connectors.base import Connector
from frontdesk.listening.models import Source

# kind -> (adapter class, account record class), as "module:Name".
ADAPTERS: dict[str, tuple[str, str]] = {
    "feed": (
        "frontdesk.connectors.rss.adapter:FeedConnector",
        "frontdesk.connectors.rss.adapter:FeedAccount",
    ),
    "mastodon": (
        "frontdesk.connectors.mastodon.adapter:MastodonConnector",
        "frontdesk.connectors.mastodon.adapter:MastodonAccount",
    ),
    "bluesky": (
        "frontdesk.connectors.bluesky.adapter:BlueskyConnector",
        "frontdesk.connectors.bluesky.adapter:BlueskyAccount",
    ),
    "reddit": (
        "frontdesk.connectors.reddit.adapter:RedditConnector",
        "frontdesk.connectors.reddit.adapter:RedditAccount",
    ),
    "hackernews": (
        "frontdesk.connectors.hackernews.adapter:HackerNewsConnector",
        "frontdesk.connectors.hackernews.adapter:HackerNewsAccount",
    ),
}


class NoAdapter(LookupError):
    """No connector is installed for a source's kind."""


def _load(dotted: str) -> Any:
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def account_fields(source: Source) -> dict[str, Any]:
    """What every account record is built from: the address, the query, the tokens."""
    return {
        "url": source.url,
        "query": source.query,
        "min_interval_seconds": source.interval_seconds,
        **(source.settings or {}),
    }


def connector_for(source: Source) -> tuple[Connector[Any], Any]:
    try:
        adapter_path, account_path = ADAPTERS[source.kind]
        adapter, account = _load(adapter_path), _load(account_path)
    except (KeyError, ImportError, AttributeError) as error:
        raise NoAdapter(f"No adapter for {source.get_kind_display()} sources ({error}).") from None
    fields = account_fields(source)
    names = getattr(account, "__dataclass_fields__", {})
    return adapter(), account(**{k: v for k, v in fields.items() if k in names})
