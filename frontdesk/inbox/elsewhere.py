"""Replies a member posts from their own account elsewhere (Mastodon, Bluesky).

Channels belong to the workspace; some ways of answering belong to a person: a
reply to a public post, sent from the staff member's own account on that network.
An app that can post such a reply declares, on its AppConfig,
`reply_elsewhere = ("dotted.path.to.routes", "dotted.path.to.send")`:

- routes(conversation, member) -> list[ElsewhereRoute]: the ways `member` can answer
  this conversation from their own accounts (none for most conversations);
- send(conversation, key, *, body, choice, by) -> Message: post it (only ever on the
  person's explicit send) and record it; raises an ActionError saying why not.

The composer offers these routes in "Send by" beside the channels' routes. This
module names the apps' code only by dotted path, so the inbox imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.apps import apps
from django.utils.module_loading import import_string

from frontdesk.core.errors import ActionError
from frontdesk.inbox.actions.common import InboxError

PREFIX = "elsewhere:"


@dataclass(frozen=True)
class ElsewhereRoute:
    """One way to answer from a member's own account.

    `key` names it to its app ("mastodon:4"); `label` is the "Send by" option ("Reply
    as @maya@mastodon.social on Mastodon"); `hint` the composer's "To …" line;
    `choices` the (value, label) options the person picks from (who sees the reply),
    `choice` the one offered first and `choice_label` what the choice is called;
    `max_length` the network's limit on a post (None: no limit known); `sender` who
    the reply comes from, as the network shows it (@maya@mastodon.social)."""

    key: str
    label: str
    hint: str
    choices: tuple[tuple[str, str], ...] = ()
    choice: str = ""
    choice_label: str = ""
    max_length: int | None = None
    sender: str = ""

    @property
    def value(self) -> str:
        """The composer's "Send by" value for this route."""
        return PREFIX + self.key


@cache
def _providers() -> list[tuple[str, str]]:
    found = []
    for config in apps.get_app_configs():
        declared = getattr(config, "reply_elsewhere", None)
        if declared:
            found.append((declared[0], declared[1]))
    return found


def routes(conversation: Any, member: Any) -> list[ElsewhereRoute]:
    """Every way `member` can answer `conversation` from their own accounts."""
    found: list[ElsewhereRoute] = []
    for routes_path, _ in _providers():
        found.extend(import_string(routes_path)(conversation, member))
    return found


def send(conversation: Any, value: str, *, body: str, choice: str, by: Any) -> Any:
    """Post a reply through the route `value` ("elsewhere:<key>") as `by`.

    Refusals come back as InboxError with the provider's words, so the composer shows
    them and keeps the text."""
    key = value.removeprefix(PREFIX)
    for routes_path, send_path in _providers():
        if not any(r.key == key for r in import_string(routes_path)(conversation, by)):
            continue
        try:
            return import_string(send_path)(conversation, key, body=body, choice=choice, by=by)
        except InboxError:
            raise
        except ActionError as error:
            raise InboxError(error.message) from None
    raise InboxError("That way of replying is not available to you here.")
