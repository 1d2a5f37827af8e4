"""Writes every channel kind shares: switch a channel on or off, rename it, set how
long a resolved conversation may be continued.

Every action takes the acting member as `by` and checks `manage_channels` itself, so
the web pages, the API and a management command share one permission rule.
"""

from __future__ import annotations

from frontdesk.core import roles
from frontdesk.core.errors import ActionError
from frontdesk.core.models import Membership
from frontdesk.core.permissions import require
from frontdesk.inbox.models import Channel

THREADING_WINDOW_CHOICES = (0, 1, 3, 6, 12, 24)


def _require_manager(by: Membership, workspace_id: int) -> None:
    require(by, roles.MANAGE_CHANNELS, workspace_id=workspace_id)


class ChannelSetupError(ActionError):
    """A channel change that cannot be made as asked; the message is for people, and
    `field` the setup form's field it belongs to."""


def set_channel_active(channel: Channel, *, active: bool, by: Membership) -> Channel:
    """Switch a channel on or off. An SMS channel that is off refuses new texts;
    the web form closes when its channel is off."""
    _require_manager(by, channel.workspace_id)
    if channel.is_active != active:
        channel.is_active = active
        channel.save(update_fields=["is_active"])
    return channel


def update_channel_options(
    channel: Channel,
    *,
    by: Membership,
    name: str | None = None,
    is_active: bool | None = None,
    threading_window_hours: int | None = None,
) -> Channel:
    """Rename a channel, switch it, or change its threading window (None: unchanged)."""
    _require_manager(by, channel.workspace_id)
    fields: list[str] = []
    if name is not None:
        if not name.strip():
            raise ChannelSetupError("Give the channel a name.", field="name")
        channel.name = name.strip()
        fields.append("name")
    if is_active is not None:
        channel.is_active = is_active
        fields.append("is_active")
    if threading_window_hours is not None:
        if threading_window_hours not in THREADING_WINDOW_CHOICES:
            raise ChannelSetupError(
                "Choose one of the offered windows.", field="threading_window_hours"
            )
        options = dict(channel.settings) if isinstance(channel.settings, dict) else {}
        options["threading_window_hours"] = threading_window_hours
        channel.settings = options
        fields.append("settings")
    if fields:
        channel.save(update_fields=fields)
    return channel
