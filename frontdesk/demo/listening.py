"""Listening demo data: a watch for the library's names and a locally served feed.

The feed (`listening_posts.POSTS`, served at /demo/listening/feed.xml by the demo's
own URLs) holds realistic posts about Riverside, some unhappy, one about another
Riverside that the watch leaves out. Loading adds the watch and the feed source,
and stores the feed's posts through the real ingestion path (`ingest`: matching,
one mention per story, triage, alerts), so the mentions page is lived-in at once;
the worker's polls of the served feed then find the same stories and add nothing.
Idempotent.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from frontdesk.connectors.base import Candidate
from frontdesk.core.models import Membership, Workspace
from frontdesk.demo.core import DEMO_STEPS
from frontdesk.demo.listening_posts import POSTS
from frontdesk.listening.ingest import ingest
from frontdesk.listening.models import Source, SourceKind, Watch

STEP_NAME = "listening"
WATCH_QUERY = '("riverside public library" OR "riverside library") -california'


def register() -> None:
    if all(name != STEP_NAME for name, _ in DEMO_STEPS):
        DEMO_STEPS.append((STEP_NAME, load_listening_demo))


def feed_url() -> str:
    return f"{settings.PUBLIC_BASE_URL}/demo/listening/feed.xml"


def load_listening_demo(workspace: Workspace, staff: dict[str, Membership]) -> None:
    Watch.objects.get_or_create(
        workspace=workspace,
        name="Riverside Library",
        defaults={"query": WATCH_QUERY, "language": ""},
    )
    source, created = Source.objects.get_or_create(
        workspace=workspace,
        kind=SourceKind.FEED,
        url=feed_url(),
        defaults={"name": "Riverside neighbourhood blogs"},
    )
    if not created:
        return
    now = timezone.now()
    base = settings.PUBLIC_BASE_URL
    ingest(
        source,
        [
            Candidate(
                source_id=guid,
                url=f"{base}/demo/listening/posts/{guid}",
                title=title,
                body=text,
                author_name=author,
                published_at=now - timedelta(hours=hours),
            )
            for guid, hours, author, title, text in reversed(POSTS)
        ],
        now=now,
    )
