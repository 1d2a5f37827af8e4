"""Reach out: one click turns a mention into a conversation with a draft, never a post."""

from __future__ import annotations

import html
import re

import pytest
from django.core import mail

from frontdesk.inbox.actions import send_reply
from frontdesk.inbox.models import Channel, Message
from frontdesk.listening.actions import ListeningError, NotAllowed, reach_out, set_mention_status
from frontdesk.listening.ingest import ingest
from frontdesk.listening.models import Mention, SourceKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels(riverside):
    return {
        "webform": Channel.objects.create(workspace=riverside, kind="webform", name="Web form"),
        "email": Channel.objects.create(workspace=riverside, kind="email", name="Desk mail"),
    }


def _mention(make_watch, make_source, make_candidate, kind=SourceKind.FEED, **fields):
    make_watch("riverside")
    ingest(
        make_source(kind=kind),
        [make_candidate("Riverside Library lost my hold again. Terrible.", **fields)],
    )
    return Mention.objects.get()


def test_reach_out_by_email_opens_a_conversation_with_a_draft(
    client_for, cast, channels, make_watch, make_source, make_candidate
):
    mention = _mention(make_watch, make_source, make_candidate, author_name="Dana Reader")
    Mention.objects.filter(pk=mention.pk).update(author_email="dana@example.org")
    client = client_for(cast["agent"])
    response = client.post(f"/w/riverside/listening/mentions/{mention.pk}/reach-out/")
    mention.refresh_from_db()
    conversation = mention.conversation
    assert response.status_code == 302
    assert response["Location"] == f"/w/riverside/inbox/{conversation.number}/"
    assert mention.status == "reached_out"
    assert conversation.channel == channels["email"]
    assert conversation.contact.identities.get().value == "dana@example.org"
    note = Message.objects.get(conversation=conversation)
    assert note.kind == "note" and note.author == cast["agent"]
    assert "Hi Dana," in note.body
    assert "I'm Maya Patel from Riverside Public Library — I saw your post about" in note.body
    assert "I'm sorry it didn't go well" in note.body
    assert mention.url in note.body
    assert not mail.outbox  # nothing sent: a person sends the first message
    # A second click opens the same conversation.
    again = client.post(f"/w/riverside/listening/mentions/{mention.pk}/reach-out/")
    assert again["Location"] == response["Location"]
    with pytest.raises(ListeningError):
        set_mention_status(mention, "ignored", by=cast["agent"])


def test_reach_out_without_email_is_a_note_only_conversation_with_their_handle(
    cast, channels, make_watch, make_source, make_candidate
):
    mention = _mention(
        make_watch,
        make_source,
        make_candidate,
        kind=SourceKind.MASTODON,
        author_name="Dana",
        author_handle="dana@mastodon.example",
        author_url="https://mastodon.example/@dana",
    )
    conversation = reach_out(mention, by=cast["agent"])
    identity = conversation.contact.identities.get()
    assert (identity.kind, identity.value) == ("mastodon", "dana@mastodon.example")
    assert conversation.channel == channels["webform"]
    note = Message.objects.get(conversation=conversation)
    assert "No email address is known" in note.body and "never automatically" in note.body


def test_reach_out_needs_a_channel_and_a_role(cast, make_watch, make_source, make_candidate):
    mention = _mention(make_watch, make_source, make_candidate)
    with pytest.raises(ListeningError, match="Add a channel"):
        reach_out(mention, by=cast["agent"])
    with pytest.raises(NotAllowed, match="cannot reply"):
        reach_out(mention, by=cast["moderator"])
    with pytest.raises(NotAllowed, match="another workspace"):
        reach_out(mention, by=cast["outsider"])
    mention.refresh_from_db()
    assert mention.status == "new" and mention.conversation is None


def _composer(page: str) -> str:
    found = re.search(r'<textarea id="composer-body"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no composer on the page"
    return html.unescape(found.group(1))


def test_reach_out_by_email_lands_with_the_draft_in_my_composer_unsent(
    client_for, cast, channels, make_watch, make_source, make_candidate
):
    mention = _mention(make_watch, make_source, make_candidate, author_name="Dana Reader")
    Mention.objects.filter(pk=mention.pk).update(author_email="dana@example.org")
    maya = client_for(cast["agent"])
    location = maya.post(f"/w/riverside/listening/mentions/{mention.pk}/reach-out/")["Location"]
    draft = _composer(maya.get(location).content.decode())
    assert draft.startswith("Hi Dana,\n\nI'm Maya Patel from Riverside Public Library — I saw")
    assert draft.endswith("\n\nMaya Patel")
    assert not Message.objects.filter(kind="reply").exists() and not mail.outbox
    # The draft is Maya's: a colleague opening the conversation starts empty.
    assert _composer(client_for(cast["admin"]).get(location).content.decode()) == ""
    # Once Maya sends her reply, the draft is gone.
    conversation = Mention.objects.get(pk=mention.pk).conversation
    send_reply(conversation, body=draft, by=cast["agent"])
    assert _composer(client_for(cast["agent"]).get(location).content.decode()) == ""


def test_reach_out_without_a_way_to_write_still_drafts_the_message_to_post_by_hand(
    client_for, cast, channels, make_watch, make_source, make_candidate
):
    mention = _mention(
        make_watch,
        make_source,
        make_candidate,
        kind=SourceKind.REDDIT,
        author_name="",
        author_handle="u/bookworm_77",
    )
    maya = client_for(cast["agent"])
    location = maya.post(f"/w/riverside/listening/mentions/{mention.pk}/reach-out/")["Location"]
    page = maya.get(location).content.decode()
    assert _composer(page).startswith("Hello,\n\nI'm Maya Patel from Riverside Public Library")
    assert 'data-reply-blocked="true"' in page  # nothing here can send it: a person posts it
    # A colleague reaching out too, before anyone replied, gets a draft in their name.
    amir = client_for(cast["admin"])
    assert amir.post(f"/w/riverside/listening/mentions/{mention.pk}/reach-out/")["Location"] == (
        location
    )
    assert "\n\nAmir Haddad" in _composer(amir.get(location).content.decode())
