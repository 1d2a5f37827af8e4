"""Reads behind Settings → Channels; each takes the workspace first and 404s outside it."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from frontdesk.channels.sms.models import SmsChannelConfig, SmsKeyword
from frontdesk.core import roles
from frontdesk.core.models import Membership, Workspace
from frontdesk.inbox.models import Channel

SMS_KIND = "sms"


def access_sms_channel(workspace: Workspace, pk: int) -> Channel:
    """An SMS channel of this workspace with its configuration, or 404."""
    channel = get_object_or_404(
        Channel.objects.for_workspace(workspace).select_related("sms_config", "workspace"),
        pk=pk,
        kind=SMS_KIND,
    )
    try:
        channel.sms_config  # noqa: B018 - raises when the configuration row is missing
    except SmsChannelConfig.DoesNotExist:
        raise Http404("This text-message channel has no configuration") from None
    return channel


def keywords(channel: Channel) -> QuerySet[SmsKeyword]:
    return SmsKeyword.objects.for_workspace(channel.workspace).filter(channel=channel)


def access_keyword(channel: Channel, pk: int) -> SmsKeyword:
    return get_object_or_404(keywords(channel), pk=pk)


def on_duty_choices(workspace: Workspace) -> QuerySet[Membership]:
    """Active members who answer customers: the people an acknowledgement may name."""
    answering = [role for role in roles.Role if roles.role_can(role, roles.REPLY)]
    return (
        Membership.objects.for_workspace(workspace)
        .filter(is_active=True, role__in=answering)
        .order_by("display_name", "id")
    )


def public_url(path: str) -> str:
    return settings.PUBLIC_BASE_URL + path


@dataclass(frozen=True)
class WebhookUrls:
    inbound: str
    status: str


def webhook_urls(config: SmsChannelConfig) -> WebhookUrls:
    """The two public URLs to paste into Twilio for this number."""
    key = {"key": config.webhook_key}
    return WebhookUrls(
        inbound=public_url(reverse("sms:inbound", kwargs=key)),
        status=public_url(reverse("sms:status", kwargs=key)),
    )
