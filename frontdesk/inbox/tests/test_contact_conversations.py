"""A contact's page lists the person's conversations, newest first, each linked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.core.actions.contacts import create_contact

pytestmark = pytest.mark.django_db


def test_contact_page_lists_their_conversations_newest_first(
    cast, client_for, riverside, make_conversation, make_channel, django_assert_max_num_queries
):
    ana = create_contact(
        riverside, name="Ana Lopez", identities=[("phone", "+15550100177")], by=None
    )
    now = timezone.now()
    older = make_conversation(contact=ana, last_message_at=now - timedelta(days=9), waiting=False)
    newer = make_conversation(
        contact=ana,
        channel_=make_channel(name="Text line"),
        last_message_at=now - timedelta(hours=1),
    )
    someone_else = make_conversation(last_message_at=now)

    client = client_for(cast["agent"])
    with django_assert_max_num_queries(20):
        page = client.get(f"/w/riverside/contacts/{ana.pk}/").content.decode()

    section = page.split('id="contact-conversations"', 1)[1].split("</section>", 1)[0]
    links = re.findall(r'href="/w/riverside/inbox/(\d+)/"', section)
    assert links == [str(newer.number), str(older.number)]
    assert str(someone_else.number) not in links
    assert "Text line" in section
    assert "waiting for a reply" in section


def test_contact_page_without_conversations_says_so(cast, client_for, riverside):
    ben = create_contact(riverside, name="Ben", identities=[("email", "ben@example.org")], by=None)
    page = client_for(cast["agent"]).get(f"/w/riverside/contacts/{ben.pk}/").content.decode()
    assert "No conversations yet." in page
