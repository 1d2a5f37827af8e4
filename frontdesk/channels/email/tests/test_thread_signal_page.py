"""Staff see on each customer mail which signal put it in its conversation, and can
move it to another conversation from the message itself."""

from __future__ import annotations

import re

import pytest

from frontdesk.channels.email.models import EmailDetail
from frontdesk.channels.email.receive import receive_raw
from frontdesk.channels.email.tests.test_threading import maya, thread  # noqa: F401
from frontdesk.inbox.models import Message

pytestmark = pytest.mark.django_db


def _notes(html: str) -> list[str]:
    return re.findall(r"data-thread-note>([^<]+)<", html)


def test_each_mail_says_which_signal_threaded_it(
    thread,  # noqa: F811
    email_channel,
    mail,
    run_intake,
    client,
    maya,  # noqa: F811
):
    conversation, sent, reply = thread
    kept = mail(
        subject="Re: " + str(sent["Subject"]),
        body="Thanks!",
        in_reply_to=reply.provider_message_id,
        references=reply.provider_message_id,
    )
    run_intake(receive_raw(email_channel, kept, via="smtpd").event_id)
    dropped = mail(subject="one more", body="Another question.", to=str(sent["Reply-To"]))
    run_intake(receive_raw(email_channel, dropped, via="smtpd").event_id)
    client.force_login(maya.user)
    html = client.get(f"/w/riverside/inbox/{conversation.number}/").content.decode()
    assert _notes(html) == [
        "Started a new conversation",
        "Threaded by In-Reply-To / References",
        "Threaded by the conversation&#x27;s reply address",
    ]
    # Moving is on the message itself: a form posting to the move action.
    last = Message.objects.filter(conversation=conversation, kind="incoming").last()
    assert last is not None
    assert f"/w/riverside/settings/channels/email/message/{last.pk}/move/" in html
    assert html.count("data-move-message") == 3


def test_moving_from_the_page_shows_moved_by_staff(
    email_channel,
    mail,
    run_intake,
    client,
    maya,  # noqa: F811
):
    one = run_intake(receive_raw(email_channel, mail(subject="one"), via="smtpd").event_id)
    other = run_intake(
        receive_raw(email_channel, mail(sender="bob@example.org"), via="smtpd").event_id
    )
    target = one.message.conversation
    client.force_login(maya.user)
    response = client.post(
        f"/w/riverside/settings/channels/email/message/{other.message.pk}/move/",
        {"number": target.number},
    )
    assert response.status_code == 302
    html = client.get(f"/w/riverside/inbox/{target.number}/").content.decode()
    assert _notes(html) == ["Started a new conversation", "Moved here by staff"]
    # One message re-drawn alone (htmx) carries its note too.
    single = client.get(
        f"/w/riverside/inbox/{target.number}/messages/{other.message.pk}/"
    ).content.decode()
    assert _notes(single) == ["Moved here by staff"]
    assert EmailDetail.objects.get(message=other.message).thread_signal == "moved"


def test_the_notes_cost_one_query_for_the_whole_timeline(
    email_channel,
    mail,
    run_intake,
    django_assert_max_num_queries,
):
    from frontdesk.inbox.queries import conversation_timeline

    first = run_intake(receive_raw(email_channel, mail(), via="smtpd").event_id)
    for n in range(5):
        run_intake(receive_raw(email_channel, mail(body=f"more {n}"), via="smtpd").event_id)
    conversation = first.message.conversation
    with django_assert_max_num_queries(4):  # messages, attachments, mentions, notes
        timeline = conversation_timeline(conversation)
    assert len(timeline) == 6
    assert {m.channel_note for m in timeline[1:]} == {"Joined the sender's open conversation"}
