"""The installed channel kinds, each described once by its channel app.

A channel app (`frontdesk/channels/<kind>/`) declares one `ChannelKind` as the
`channel_kind` attribute of its AppConfig; everything that varies by kind derives
from the installed ones: `Channel.kind` choices, the URLs (`frontdesk/urls.py`
mounts each kind's webhooks, setup pages and public pages), the Settings → Channels
list, the adapter a reply is sent through and the account record it gets, and what
happens after a customer's message is stored. So a new channel is one folder plus
one line in INSTALLED_APPS.

This module lives in the inbox (below the channel apps) because the inbox calls
through it; it names the channel apps' code only by dotted path, resolved on first
use, so it imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from frontdesk.connectors.base import Connector

if TYPE_CHECKING:
    from frontdesk.inbox.models import Channel

# after_inbound(message, started_conversation): runs inside intake's transaction. Intake
# passes the Message with its conversation, contact, workspace and channel loaded and
# current (the hook need not read them again); a hook may also be given the id.
AfterInbound = Callable[[Any, bool], Any]
# prepare_inbound(event row): runs inside intake's transaction on a claimed InboundEvent
# before anything else (email: parse the stored raw mail into sender, subject, body,
# attachments, and save them on the row). Returns None to go on, or (status, reason)
# with status "processed" or "failed": no message is made (a bounce, a loop, bad mail)
# and the row is marked so with the reason, which staff see.
PrepareInbound = Callable[[Any], "tuple[str, str] | None"]
# find_thread(event row, contact): the conversation id this event continues, or None
# for the usual threading (the contact's open conversation on the channel, ...).
FindThread = Callable[[Any, Any], "int | None"]
# compose(message, outbound): the OutboundMessage a reply is sent as, with what this
# kind adds (email: Reply-To, References, CC); for the kinds named in `compose_for`.
Compose = Callable[[Any, Any], Any]
# address_problem(workspace id, identity kind, value): why a reply cannot be delivered
# to this address ("" when nothing is known against it; email: it bounced).
AddressProblem = Callable[[int, str, str], str]
# message_notes(messages): {message id: a short note staff read on the message} for
# messages that came through this kind's channels (email: which signal threaded it).
MessageNotes = Callable[[list[Any]], Mapping[int, str]]


@dataclass(frozen=True, kw_only=True)
class ChannelKind:
    """What Frontdesk needs to know about one kind of channel.

    - `kind`, `label`: the value stored in `Channel.kind`, and what staff read.
    - `adapter`: the `connectors` class that speaks the provider's wire format.
    - `account`: dotted path of `(channel) -> record`, the frozen account record the
      adapter's calls take (built from the kind's configuration model).
    - `after_inbound`: dotted path of the kind's reaction to a stored customer message
      (SMS: STOP/START/HELP, keywords, acknowledgement), or "".
    - `addresses`: dotted path of `(channels) -> {channel id: address}`, the number or
      URL customers use, shown in the channel list; or "".
    - `webhook_urls`: URL module mounted at `hooks/<kind>/` (no sign-in), or "".
    - `setup_urls`: URL module mounted at `w/<ws>/settings/channels/<kind>/` inside the
      `channels` namespace (its names start with the kind: `sms-detail`), or "".
    - `public_urls`: (prefix, URL module) of public pages (the web form's `f/`), or None.
    - `create_url`, `detail_url`: names (in the `channels` namespace) of the setup
      pages that add a channel of this kind and show one (taking `pk`), or "".
    - `icon`: the icon name (templates/icons) rows of this kind show.
    - `add_title`, `add_help`: the words of the channel list's "add one" tile.
    - `ready_address`: dotted path of `(workspace) -> str`, the address of a channel
      every workspace has before it is set up (the web form), or "".
    - `prepare_inbound`: dotted path of a `PrepareInbound` hook, or "" (see above).
    - `find_thread`: dotted path of a `FindThread` hook, or "".
    - `compose`, `compose_for`: dotted path of a `Compose` hook and the kinds whose
      replies it shapes (email shapes its own and the web form's email replies).
    - `address_problem`: dotted path of an `AddressProblem` hook, or "": what the kind
      knows against a customer's address of any channel (email: a bounce).
    - `message_notes`: dotted path of a `MessageNotes` hook, or "".
    """

    kind: str
    label: str
    adapter: type[Connector[Any]]
    account: str
    after_inbound: str = ""
    addresses: str = ""
    webhook_urls: str = ""
    setup_urls: str = ""
    public_urls: tuple[str, str] | None = None
    create_url: str = ""
    detail_url: str = ""
    icon: str = "inbox"
    add_title: str = ""
    add_help: str = ""
    ready_address: str = ""
    prepare_inbound: str = ""
    find_thread: str = ""
    compose: str = ""
    compose_for: tuple[str, ...] = ()
    address_problem: str = ""
    message_notes: str = ""
    _resolved: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def _resolve(self, name: str) -> Any:
        path = getattr(self, name)
        if not path:
            return None
        if name not in self._resolved:
            self._resolved[name] = import_string(path)
        return self._resolved[name]

    def connector(self) -> Connector[Any]:
        """An instance of the adapter (adapters hold no state)."""
        return self.adapter()

    def account_for(self, channel: Channel) -> Any:
        """The adapter's account record for `channel`. May raise ConnectorError
        (permanent, code "not_configured") when the channel is not set up."""
        return self._resolve("account")(channel)

    def after_inbound_hook(self) -> AfterInbound | None:
        hook: AfterInbound | None = self._resolve("after_inbound")
        return hook

    def prepare_inbound_hook(self) -> PrepareInbound | None:
        hook: PrepareInbound | None = self._resolve("prepare_inbound")
        return hook

    def find_thread_hook(self) -> FindThread | None:
        hook: FindThread | None = self._resolve("find_thread")
        return hook

    def compose_hook(self) -> Compose | None:
        hook: Compose | None = self._resolve("compose")
        return hook

    def address_problem_hook(self) -> AddressProblem | None:
        hook: AddressProblem | None = self._resolve("address_problem")
        return hook

    def message_notes_hook(self) -> MessageNotes | None:
        hook: MessageNotes | None = self._resolve("message_notes")
        return hook

    def addresses_of(self, channels: Iterable[Channel]) -> Mapping[int, str]:
        """{channel id: the address customers use} for these channels of this kind."""
        function = self._resolve("addresses")
        found: Mapping[int, str] = function(list(channels)) if function else {}
        return found

    def ready_address_for(self, workspace: Any) -> str:
        """Where customers reach this kind before any setup, or ""."""
        function = self._resolve("ready_address")
        return str(function(workspace)) if function else ""


class UnknownChannelKind(KeyError):
    """No installed channel app declares this kind."""


@cache
def _installed() -> dict[str, ChannelKind]:
    found: dict[str, ChannelKind] = {}
    for config in apps.get_app_configs():
        declared = getattr(config, "channel_kind", None)
        if declared is None:
            continue
        if not isinstance(declared, ChannelKind):
            raise TypeError(f"{config.name}.channel_kind must be a ChannelKind")
        if declared.kind in found:
            raise ValueError(f"two channel apps declare the kind {declared.kind!r}")
        found[declared.kind] = declared
    return found


def installed() -> dict[str, ChannelKind]:
    """kind -> ChannelKind, for every installed channel app, in INSTALLED_APPS order."""
    return _installed()


def forget() -> None:
    """Read the installed apps again (a test that installs a channel app calls this)."""
    _installed.cache_clear()


def _installed_apps_changed(*, setting: str, **_kwargs: object) -> None:
    if setting == "INSTALLED_APPS":
        forget()


setting_changed.connect(_installed_apps_changed, dispatch_uid="frontdesk-channel-kinds")


def get(kind: str) -> ChannelKind:
    """The installed kind `kind`; UnknownChannelKind when no channel app declares it."""
    try:
        return installed()[kind]
    except KeyError:
        raise UnknownChannelKind(kind) from None


def get_connector(kind: str) -> Connector[Any]:
    """An instance of the adapter for `kind` (UnknownChannelKind when not installed)."""
    return get(kind).connector()


def composers_for(kind: str) -> list[Compose]:
    """The compose hooks of installed kinds that shape replies of `kind`."""
    found: list[Compose] = []
    for declared in installed().values():
        hook = declared.compose_hook() if kind in declared.compose_for else None
        if hook is not None:
            found.append(hook)
    return found


def address_problem(workspace_id: int, identity_kind: str, value: str) -> str:
    """Why a reply to `value` (an address of `identity_kind`) cannot be delivered, as
    the installed kinds know it ("" when none knows anything against it)."""
    if not value:
        return ""
    for declared in installed().values():
        hook = declared.address_problem_hook()
        problem = hook(workspace_id, identity_kind, value) if hook else ""
        if problem:
            return problem
    return ""


def annotate_messages(messages: Iterable[Any]) -> None:
    """Set `channel_note` on each message (loaded with its channel): what its channel
    kind tells staff about it, or "". One query per kind that has notes."""
    rows = list(messages)
    for message in rows:
        message.channel_note = ""
    for declared in installed().values():
        hook = declared.message_notes_hook()
        if hook is None:
            continue
        mine = [m for m in rows if m.channel_id and m.channel.kind == declared.kind]
        if not mine:
            continue
        notes = hook(mine)
        for message in mine:
            message.channel_note = notes.get(message.pk, "")


def kind_choices() -> list[tuple[str, str]]:
    """(kind, label) pairs for model and form choices."""
    return [(kind.kind, kind.label) for kind in installed().values()]
