"""Reads behind Settings → Channels; each takes the workspace first and 404s outside it."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from frontdesk.core.models import Workspace
from frontdesk.inbox.models import Channel


def channels(workspace: Workspace) -> QuerySet[Channel]:
    """Every channel of the workspace with its conversation count."""
    return (
        Channel.objects.for_workspace(workspace)
        .annotate(conversation_count=Count("conversations"))
        .order_by("kind", "name", "id")
    )


def access_channel(workspace: Workspace, pk: int) -> Channel:
    return get_object_or_404(Channel.objects.for_workspace(workspace), pk=pk)
