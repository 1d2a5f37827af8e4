"""The web form adapter's account record: replies by email, from the organisation."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse

from frontdesk.connectors.webform.adapter import MailAccount
from frontdesk.inbox.models import Channel


def account_for(channel: Channel) -> MailAccount:
    return MailAccount(workspace_name=channel.workspace.name)


def addresses(channels: Sequence[Channel]) -> dict[int, str]:
    """{channel id: the public form's address}, for the channel list."""
    return {
        channel.pk: settings.PUBLIC_BASE_URL
        + reverse("webform:form", kwargs={"slug": channel.workspace.slug})
        for channel in channels
    }
