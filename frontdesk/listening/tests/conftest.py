"""Listening factories: watches, sources, candidates and a live-event listener."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from frontdesk.connectors.base import Candidate
from frontdesk.listening.models import Source, SourceKind, Watch
from frontdesk.live.publish import workspace_group

_ids = itertools.count(1)


@pytest.fixture
def make_watch(riverside):
    def make(query: str = '"Riverside Library" OR riverside', *, workspace=None, **fields) -> Watch:
        fields.setdefault("name", f"Watch {next(_ids)}")
        return Watch.objects.create(workspace=workspace or riverside, query=query, **fields)

    return make


@pytest.fixture
def make_source(riverside):
    def make(*, workspace=None, kind=SourceKind.FEED, url="http://127.0.0.1:9/feed.xml", **fields):
        return Source.objects.create(workspace=workspace or riverside, kind=kind, url=url, **fields)

    return make


@pytest.fixture
def make_candidate():
    def make(
        body: str = "Riverside Library lost my hold again and nobody answers. Terrible.",
        *,
        source_id: str | None = None,
        url: str | None = None,
        title: str = "",
        author_name: str = "Dana Reader",
        published_at: datetime | None = None,
        **fields,
    ) -> Candidate:
        n = next(_ids)
        return Candidate(
            source_id=source_id or f"post-{n}",
            url=url or f"https://blog.example/posts/{n}",
            title=title,
            body=body,
            author_name=author_name,
            published_at=published_at or timezone.now(),
            **fields,
        )

    return make


class Listener:
    """A member's open page, as the channel layer sees it: the events it receives."""

    def __init__(self, workspace_id: int) -> None:
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(workspace_group(workspace_id), self.channel)

    def events(self) -> list[dict]:
        found = []
        while True:
            try:
                message = async_to_sync(self._receive)()
            except TimeoutError:
                return found
            # Several events in one layer message (live.publish.apublish_many) reach a
            # page as one frame each, as the consumer sends them.
            found.extend(
                {"type": event["event"], "data": event["data"]}
                for event in message.get("events", [message])
            )

    async def _receive(self) -> dict:
        import asyncio

        return await asyncio.wait_for(self.layer.receive(self.channel), 0.05)


@pytest.fixture
def listen():
    return Listener
