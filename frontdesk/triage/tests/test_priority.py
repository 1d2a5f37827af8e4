"""The explained priority score: one number and the words behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from frontdesk.triage.priority import for_conversation, for_mention, priority_score

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def test_an_unhappy_customer_waiting_three_hours_who_wrote_again():
    rank = priority_score(
        now=NOW,
        waiting_since=NOW - timedelta(hours=3),
        sentiment="negative",
        repeat_contact=True,
    )
    assert rank.why == "negative, waiting 3 h, repeat contact"
    assert rank.score == round(20 + 50 * 3 / 24 + 10)


def test_the_wait_grows_the_score_until_a_day_and_nothing_is_waiting_for_nobody():
    scores = [
        priority_score(now=NOW, waiting_since=NOW - timedelta(hours=h)).score
        for h in (0, 1, 6, 12, 24, 72)
    ]
    assert scores == sorted(scores) and scores[-2] == scores[-1] == 50
    assert priority_score(now=NOW).score == 0 and priority_score(now=NOW).why == ""
    assert priority_score(now=NOW, waiting_since=NOW - timedelta(days=3)).why == ("waiting 3 days")


def test_a_long_wait_outweighs_a_fresh_complaint():
    # Respecting the longest wait: a day of silence counts for more than a new
    # unhappy message.
    long_wait = priority_score(now=NOW, waiting_since=NOW - timedelta(hours=24))
    fresh = priority_score(now=NOW, waiting_since=NOW - timedelta(minutes=5), sentiment="negative")
    assert long_wait.score > fresh.score


def test_urgency_and_priority_add_and_the_score_stops_at_100():
    rank = priority_score(
        now=NOW,
        waiting_since=NOW - timedelta(days=2),
        sentiment="negative",
        urgency="urgent",
        priority="urgent",
        repeat_contact=True,
    )
    assert rank.score == 100
    assert rank.reasons == (
        "negative",
        "urgent",
        "waiting 2 days",
        "repeat contact",
        "marked urgent",
    )
    assert priority_score(now=NOW, urgency="soon", priority="high").why == (
        "time-sensitive, marked high"
    )


def test_a_conversation_scores_from_its_own_fields():
    class Conversation:
        waiting_since = NOW - timedelta(minutes=30)
        last_customer_message_at = NOW - timedelta(minutes=2)
        sentiment_label = "neutral"
        urgency_label = ""
        priority = "normal"

    assert for_conversation(Conversation(), NOW).why == "waiting 30 min, repeat contact"


def mention(**fields):
    values = {"status": "new", "found_at": NOW, "sentiment_label": "", "needs_reply": False}
    values.update(fields)
    values.setdefault("reach", {})
    return SimpleNamespace(**values)


def test_a_mention_unhappy_asking_and_widely_read_explains_itself():
    rank = for_mention(
        mention(
            found_at=NOW - timedelta(hours=6),
            sentiment_label="negative",
            needs_reply=True,
            reach={"followers": "2500", "boosts": 3},
        ),
        NOW,
    )
    assert rank.why == "negative, asks for an answer, unseen 6 h, reaches 2.5k followers"
    assert rank.score == round(20 + 50 * 6 / 24) + 15 + round(10 * 2500 / 10_000)


def test_a_mention_someone_looked_at_no_longer_waits_and_small_reach_adds_nothing():
    fresh = for_mention(mention(sentiment_label="negative"), NOW)
    seen = for_mention(mention(status="seen", found_at=NOW - timedelta(days=2)), NOW)
    old = for_mention(mention(found_at=NOW - timedelta(days=2)), NOW)
    assert seen.score == 0 and seen.why == ""
    assert old.score == 50 and old.why == "unseen 2 days"
    # A day-old unread mention outranks a fresh unhappy one: the wait weighs most.
    assert old.score > fresh.score == 20
    tiny = for_mention(mention(reach={"points": 12, "comments": "n/a"}), NOW)
    assert tiny.why == "unseen 1 min" and tiny.score == 0
