"""Triage through the real intake: every customer message scored and stored, the
Mood filters showing unhappy customers, staff corrections and what they teach."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from frontdesk.inbox import actions, intake
from frontdesk.inbox.models import Conversation, Message
from frontdesk.triage.hooks import forget_learned
from frontdesk.triage.models import Correction, LearnedClassifier
from frontdesk.triage.pipeline import analyze

pytestmark = pytest.mark.django_db

UNHAPPY = (
    "I returned both books on the 3rd but was still charged overdue fines. Nobody has "
    "answered my two emails. I'd like these fines removed, please."
)
HAPPY = "Thank you so much, the story time yesterday was wonderful!"


def test_every_customer_message_gets_its_scores_through_the_intake(channel, receive):
    row = receive(channel, sender="cross@example.org", name="Cross Patron", body=UNHAPPY)
    message = Message.objects.get(inbound_event=row)
    assert message.sentiment_label == "negative" and message.sentiment_score < 0
    assert message.intent == "complaint" and message.needs_reply is True
    assert message.language == "en"
    assert message.abuse_score is not None and message.abuse_score < 0.5
    assert "still" in message.triage_reasons["sentiment"]
    assert set(message.triage_reasons) == {
        "sentiment",
        "needs_reply",
        "language",
        "abuse",
        "urgency",
    }
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.sentiment_label == "negative"
    assert conversation.triage_reason.startswith("negative")
    assert conversation.language == "en"
    # The attention order counts the unhappy customer (waiting 2 + negative 1).
    assert conversation.attention == 3


def test_writing_again_while_waiting_is_a_repeat_contact(channel, receive):
    receive(channel, sender="again@example.org", body="Where is my hold?")
    receive(channel, sender="again@example.org", body="Any news about my hold?")
    first, second = Message.objects.filter(
        conversation__contact__identities__value="again@example.org"
    )
    assert "repeat contact" not in first.triage_reasons["urgency"]
    assert "repeat contact" in second.triage_reasons["urgency"]
    assert second.urgency_score > first.urgency_score


def test_the_batched_intake_stores_the_same_scores(channel, make_event):
    start = timezone.now() - timedelta(minutes=5)
    for n, body in enumerate([UNHAPPY, HAPPY, "¿Tienen libros en español para niños?"]):
        intake.store_inbound_event(
            channel,
            make_event(
                provider_id=f"tri-{n}",
                sender=f"batch{n}@example.org",
                body=body,
                subject="",
                received_at=start + timedelta(seconds=n),
            ),
        )
    assert intake.process_inbound_events() == 3
    stored = {m.body: m for m in Message.objects.all()}
    for body in (UNHAPPY, HAPPY):
        expected = analyze(body)
        assert stored[body].sentiment_label == expected.sentiment.label
        assert stored[body].urgency_label == expected.urgency.label
        assert stored[body].conversation.sentiment_label == expected.sentiment.label
    assert stored[UNHAPPY].sentiment_label == "negative"
    assert stored[HAPPY].sentiment_label == "positive"
    assert stored[HAPPY].intent in ("thanks", "praise") and stored[HAPPY].needs_reply is False
    spanish = stored["¿Tienen libros en español para niños?"]
    assert spanish.language == "es" and spanish.conversation.language == "es"


def test_the_mood_filter_shows_the_unhappy_customer(cast, client_for, channel, receive):
    receive(channel, sender="unhappy@example.org", name="Una Happy", body=UNHAPPY)
    receive(channel, sender="glad@example.org", name="Gladys Glad", body=HAPPY)
    client = client_for(cast["agent"])
    unhappy = client.get("/w/riverside/inbox/?sentiment=negative").content.decode()
    assert "Una Happy" in unhappy and "Gladys Glad" not in unhappy
    happy = client.get("/w/riverside/inbox/?sentiment=positive").content.decode()
    assert "Gladys Glad" in happy and "Una Happy" not in happy


def test_a_correction_changes_the_message_and_its_conversation(cast, channel, receive):
    row = receive(channel, sender="fix@example.org", body="My card stopped working at the kiosk")
    message = Message.objects.get(inbound_event=row)
    actions.correct_triage(message, kind="sentiment", label="negative", by=cast["agent"])
    actions.correct_triage(message, kind="urgency", label="urgent", by=cast["agent"])
    message.refresh_from_db()
    assert message.sentiment_label == "negative" and message.urgency_label == "urgent"
    assert message.triage_corrected == {"sentiment": "negative", "urgency": "urgent"}
    assert "corrected by Maya Patel" in message.triage_reasons["sentiment"]
    conversation = message.conversation
    conversation.refresh_from_db()
    assert conversation.sentiment_label == "negative" and conversation.urgency_label == "urgent"
    correction = Correction.objects.get(message=message, kind="sentiment")
    assert correction.workspace_id == message.workspace_id
    assert correction.label == "negative" and correction.by == cast["agent"]
    assert correction.text == f"{message.subject}\n{message.body}"  # as triage read it
    # Correcting again replaces the earlier correction.
    actions.correct_triage(message, kind="sentiment", label="neutral", by=cast["admin"])
    assert Correction.objects.filter(message=message, kind="sentiment").get().label == "neutral"


@pytest.mark.parametrize("who", ["moderator", "outsider"])
def test_only_staff_who_answer_in_this_workspace_may_correct(cast, channel, receive, who):
    row = receive(channel, sender="nope@example.org", body=HAPPY)
    message = Message.objects.get(inbound_event=row)
    with pytest.raises(actions.NotAllowed):
        actions.correct_triage(message, kind="sentiment", label="negative", by=cast[who])
    message.refresh_from_db()
    assert message.sentiment_label == "positive"
    assert not Correction.objects.exists()


def test_a_bad_label_is_refused(cast, channel, receive):
    row = receive(channel, sender="bad@example.org", body=HAPPY)
    message = Message.objects.get(inbound_event=row)
    with pytest.raises(actions.InboxError):
        actions.correct_triage(message, kind="sentiment", label="furious", by=cast["agent"])
    with pytest.raises(actions.InboxError):
        actions.correct_triage(message, kind="mood", label="negative", by=cast["agent"])
    assert not Correction.objects.exists()


def test_one_click_on_the_conversation_page(cast, client_for, channel, receive):
    row = receive(channel, sender="click@example.org", name="Clicky", body=HAPPY)
    message = Message.objects.get(inbound_event=row)
    number = message.conversation.number
    page = client_for(cast["agent"]).get(f"/w/riverside/inbox/{number}/").content.decode()
    url = f"/w/riverside/inbox/{number}/messages/{message.pk}/triage/"
    assert url in page and "data-triage-correct" in page
    response = client_for(cast["agent"]).post(
        url, {"kind": "sentiment", "label": "negative"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'data-sentiment="negative"' in response.content.decode()
    message.refresh_from_db()
    assert message.sentiment_label == "negative"
    # A moderator reads the page but gets no correction buttons, and the POST is refused.
    moderator = client_for(cast["moderator"])
    assert url not in moderator.get(f"/w/riverside/inbox/{number}/").content.decode()
    assert moderator.post(url, {"kind": "sentiment", "label": "positive"}).status_code == 403


def test_training_from_corrections_changes_what_intake_says(cast, channel, receive, capsys):
    """Riverside's patrons forward their automatic 'overdue notice' to ask what it
    means; staff mark those neutral (the default analyzer reads 'overdue' as a
    complaint), and real complaints negative. After training, intake follows."""
    neutral = [
        f"Got an overdue notice for {title}, what does it mean?"
        for title in ("Dune", "Emma", "Ulysses", "Beloved", "Middlemarch", "Persuasion",
                      "Rebecca", "Kindred", "Walden", "Frankenstein", "Dracula", "Ivanhoe")
    ]  # fmt: skip
    negative = [
        f"Nobody answered about {thing}, this is unacceptable and I want a refund"
        for thing in ("my card", "the printer", "my fines", "the room booking", "my hold",
                      "the lost book", "the wifi", "my account", "the late fee", "the kiosk",
                      "my reservation", "the broken scanner")
    ]  # fmt: skip
    probe = "Got an overdue notice for Rebecca again, what does it mean?"
    assert analyze(probe).sentiment.label == "negative"  # what the default says
    for n, body in enumerate(neutral + negative):
        row = receive(channel, sender=f"teach{n}@example.org", body=body)
        message = Message.objects.get(inbound_event=row)
        label = "neutral" if body in neutral else "negative"
        actions.correct_triage(message, kind="sentiment", label=label, by=cast["agent"])

    call_command("triage", "train", "--workspace", "riverside")
    out = capsys.readouterr().out
    assert "riverside: trained on 24 corrections" in out and "default analyzer" in out
    learned = LearnedClassifier.objects.get(workspace=channel.workspace, kind="sentiment")
    assert learned.examples == 24 and learned.accuracy > learned.default_accuracy

    forget_learned(channel.workspace_id)
    row = receive(channel, sender="probe@example.org", body=probe)
    message = Message.objects.get(inbound_event=row)
    assert message.sentiment_label == "neutral"
    assert "learned from this workspace" in message.triage_reasons["sentiment"]
    # Another workspace's messages still get the default analyzer.
    assert not LearnedClassifier.objects.exclude(workspace=channel.workspace).exists()


def test_urgency_corrections_teach_what_is_urgent_here(cast, channel, receive, capsys):
    """At Riverside an expiring card is routine (renewed at the desk in a minute), but
    a patron stuck outside a locked study room is urgent though they say nothing the
    default analyzer knows. Staff correct both kinds; after training intake follows,
    and a repeat contact still counts."""
    routine = [
        f"My library card expires {when}, can I renew it at the desk?"
        for when in ("today", "tomorrow", "tonight", "this evening", "today at 5",
                     "tomorrow morning", "this afternoon", "by friday", "by monday",
                     "by saturday", "by noon", "by sunday")
    ]  # fmt: skip
    urgent = [
        f"The {room} door is locked and my {thing} is inside"
        for room, thing in (("study room", "laptop"), ("meeting room", "bag"),
                            ("quiet room", "phone"), ("media lab", "keys"),
                            ("group room", "wallet"), ("kids room", "coat"),
                            ("reading room", "medication"), ("maker lab", "charger"),
                            ("board room", "notes"), ("seminar room", "glasses"),
                            ("computer lab", "passport"), ("craft room", "car keys"))
    ]  # fmt: skip
    probe_routine = "My card expires today, can I renew it at the desk?"
    probe_urgent = "The music room door is locked and my violin is inside"
    assert analyze(probe_routine).urgency.label == "soon"  # what the default says
    assert analyze(probe_urgent).urgency.label == ""
    for n, body in enumerate(routine + urgent):
        row = receive(channel, sender=f"urgency{n}@example.org", body=body)
        message = Message.objects.get(inbound_event=row)
        label = "none" if body in routine else "urgent"
        actions.correct_triage(message, kind="urgency", label=label, by=cast["agent"])
    assert Correction.objects.filter(kind="urgency").count() == 24

    call_command("triage", "train", "--workspace", "riverside")
    out = capsys.readouterr().out
    assert "riverside: too few corrections" in out  # no sentiment corrections
    assert "riverside (urgency): trained on 24 corrections" in out
    learned = LearnedClassifier.objects.get(workspace=channel.workspace, kind="urgency")
    assert learned.examples == 24 and learned.accuracy > learned.default_accuracy
    assert not LearnedClassifier.objects.filter(kind="sentiment").exists()

    forget_learned(channel.workspace_id)
    row = receive(channel, sender="probe-r@example.org", body=probe_routine)
    message = Message.objects.get(inbound_event=row)
    assert message.urgency_label == ""
    assert "learned from this workspace" in message.triage_reasons["urgency"]
    row = receive(channel, sender="probe-u@example.org", body=probe_urgent)
    message = Message.objects.get(inbound_event=row)
    assert message.urgency_label == "urgent"
    assert Conversation.objects.get(pk=message.conversation_id).urgency_label == "urgent"
    # Writing again while waiting is never less than "soon", whatever was learned.
    row = receive(channel, sender="probe-r@example.org", body="Hello? " + probe_routine)
    again = Message.objects.get(inbound_event=row)
    assert again.urgency_label in ("soon", "urgent")
    assert "repeat contact" in again.triage_reasons["urgency"]


def test_training_waits_for_enough_corrections(cast, channel, receive, capsys):
    row = receive(channel, sender="few@example.org", body=HAPPY)
    actions.correct_triage(
        Message.objects.get(inbound_event=row), kind="sentiment", label="neutral", by=cast["agent"]
    )
    call_command("triage", "train")
    assert "too few corrections" in capsys.readouterr().out
    assert not LearnedClassifier.objects.exists()
