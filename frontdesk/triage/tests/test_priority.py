"""The explained priority score: one number and the words behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from frontdesk.triage.priority import for_conversation, priority_score

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
