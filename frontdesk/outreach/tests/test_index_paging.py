"""The outreach index a page at a time: campaigns and notices newest first, 25 to a
page, each list with its own "Older" link (a keyset cursor), so a workspace with
thousands of either loads the same few queries on every page."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.outreach.actions.authoring import create_template
from frontdesk.outreach.models import Campaign, Notice
from frontdesk.outreach.queries import PAGE_SIZE

pytestmark = pytest.mark.django_db

BASE = "/w/riverside/outreach"


@pytest.fixture
def many(cast, riverside, maya_sender, welcome, make_contact):
    """60 campaigns and 60 notices; every third pair shares its created_at (ties)."""
    grace = make_contact("Grace Hopper", "grace@example.org")
    start = timezone.now() - timedelta(days=30)
    moments = [start + timedelta(minutes=n // 3 * 7) for n in range(60)]
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            workspace=riverside,
            name=f"Campaign {n:02d}",
            sender=maya_sender,
            template=welcome,
            created_at=moment,
        )
        for n, moment in enumerate(moments)
    )
    notices = Notice.objects.bulk_create(
        Notice(
            workspace=riverside,
            sender=maya_sender,
            template=welcome,
            contact=grace,
            external_id=f"hold-{n}",
            created_at=moment,
        )
        for n, moment in enumerate(moments)
    )
    newest_first = sorted(campaigns, key=lambda c: (c.created_at, c.pk), reverse=True)
    notices_first = sorted(notices, key=lambda n: (n.created_at, n.pk), reverse=True)
    return [c.pk for c in newest_first], [n.pk for n in notices_first]


def _ids(page: str, kind: str) -> list[int]:
    return [int(x) for x in re.findall(rf'<tr id="{kind}-(\d+)"', page)]


def _older(page: str, kind: str) -> str | None:
    found = re.search(
        rf'<a class="btn btn-sm" href="([^"]+)" rel="next" data-older="{kind}s"', page
    )
    return html.unescape(found.group(1)) if found else None


def test_both_lists_page_through_everything_once_in_order(
    client_for, cast, many, django_assert_max_num_queries
):
    campaign_ids, notice_ids = many
    client = client_for(cast["agent"])
    url: str | None = f"{BASE}/"
    seen: list[int] = []
    pages = 0
    while url:
        with django_assert_max_num_queries(12):
            page = client.get(url if url.startswith("/") else f"{BASE}/{url}").content.decode()
        rows = _ids(page, "campaign")
        assert 0 < len(rows) <= PAGE_SIZE
        seen += rows
        # Paging campaigns leaves the notices on their first page.
        assert _ids(page, "notice") == notice_ids[:PAGE_SIZE]
        url = _older(page, "campaign")
        pages += 1
    assert seen == campaign_ids and pages == 3

    url = f"{BASE}/"
    seen = []
    while url:
        page = client.get(url if url.startswith("/") else f"{BASE}/{url}").content.decode()
        seen += _ids(page, "notice")
        url = _older(page, "notice")
    assert seen == notice_ids


def test_the_two_cursors_travel_together(client_for, cast, many):
    campaign_ids, notice_ids = many
    client = client_for(cast["agent"])
    first = client.get(f"{BASE}/").content.decode()
    second_campaigns = client.get(f"{BASE}/{_older(first, 'campaign')}").content.decode()
    both = client.get(f"{BASE}/{_older(second_campaigns, 'notice')}").content.decode()
    assert _ids(both, "campaign") == campaign_ids[PAGE_SIZE : 2 * PAGE_SIZE]
    assert _ids(both, "notice") == notice_ids[PAGE_SIZE : 2 * PAGE_SIZE]
    assert "Newest campaigns" in both and "Newest notices" in both


def test_a_new_campaign_does_not_shift_the_next_page(
    client_for, cast, many, maya_sender, riverside
):
    campaign_ids, _ = many
    client = client_for(cast["agent"])
    older = _older(client.get(f"{BASE}/").content.decode(), "campaign")
    template = create_template(
        riverside.pk, name="Late", subject="Hi", html="<p>Hi</p>", by=cast["agent"]
    )
    Campaign.objects.create(workspace=riverside, name="Late", sender=maya_sender, template=template)
    page = client.get(f"{BASE}/{older}").content.decode()
    assert _ids(page, "campaign") == campaign_ids[PAGE_SIZE : 2 * PAGE_SIZE]


def test_a_broken_page_link_goes_back_to_the_first_page(client_for, cast, many):
    client = client_for(cast["agent"])
    for bad in ("campaigns=bm9wZQ", "notices=%%%", "campaigns=WyJ4IiwgMV0"):
        response = client.get(f"{BASE}/?{bad}", follow=True)
        assert response.redirect_chain[-1][0] == f"{BASE}/"
        assert "That page link is not valid any more." in html.unescape(response.content.decode())
