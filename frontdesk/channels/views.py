"""Settings → Channels: every way customers reach the workspace, one list for all kinds.

What differs by kind (its label, icon, address, setup pages) comes from the installed
channel kinds (`frontdesk/inbox/kinds.py`), so a new channel app shows up here
without a change to this module.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from frontdesk.channels import actions, queries
from frontdesk.core import roles
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.permissions import require_capability
from frontdesk.inbox import kinds
from frontdesk.inbox.models import Channel


@dataclass(frozen=True)
class KindOffer:
    """A kind a workspace can add (a setup page) or already has without setup (the
    web form, ready at its address before its first message)."""

    kind: kinds.ChannelKind
    create_href: str = ""
    ready_address: str = ""


@dataclass(frozen=True)
class ChannelRow:
    """One channel as the list shows it: the row, and what its kind says about it."""

    channel: Channel
    kind_label: str
    kind_icon: str
    address: str = ""
    detail_href: str = ""

    @property
    def address_is_link(self) -> bool:
        return self.address.startswith(("http://", "https://"))


def channel_list(request: WorkspaceRequest) -> HttpResponse:
    """Every channel of the workspace: how customers reach it, and whether it is on."""
    workspace = request.workspace
    channels = list(queries.channels(workspace))
    installed = kinds.installed()
    by_kind: dict[str, list[Channel]] = defaultdict(list)
    for channel in channels:
        by_kind[channel.kind].append(channel)
    addresses: dict[int, str] = {}
    for kind_name, of_kind in by_kind.items():
        if kind_name in installed:
            addresses.update(installed[kind_name].addresses_of(of_kind))
    rows = []
    for channel in channels:
        kind = installed.get(channel.kind)
        detail = ""
        if kind and kind.detail_url:
            detail = reverse(
                f"channels:{kind.detail_url}", kwargs={"ws": workspace.slug, "pk": channel.pk}
            )
        rows.append(
            ChannelRow(
                channel=channel,
                kind_label=kind.label if kind else channel.kind,
                kind_icon=kind.icon if kind else "inbox",
                address=addresses.get(channel.pk, ""),
                detail_href=detail,
            )
        )
    offers = []
    for kind in installed.values():
        create = ""
        if kind.create_url:
            create = reverse(f"channels:{kind.create_url}", kwargs={"ws": workspace.slug})
        ready = kind.ready_address_for(workspace) if not by_kind.get(kind.kind) else ""
        if create or ready:
            offers.append(KindOffer(kind=kind, create_href=create, ready_address=ready))
    context = {
        "rows": rows,
        "can_manage": request.membership.can(roles.MANAGE_CHANNELS),
        "ready": [offer for offer in offers if offer.ready_address],
        "creatable": [offer for offer in offers if offer.create_href],
    }
    return render(request, "channels/channel_list.html", context)


@require_POST
@require_capability(roles.MANAGE_CHANNELS)
def channel_active(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Switch a channel on or off from the list."""
    channel = queries.access_channel(request.workspace, pk)
    active = request.POST.get("active") == "on"
    actions.set_channel_active(channel, active=active, by=request.membership)
    state = "on" if active else "off"
    messages.success(request, f"{channel.name} is switched {state}.")
    return redirect("channels:list", ws=request.workspace.slug)
