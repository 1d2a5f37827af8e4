"""Each analyzer on real kinds of customer messages (no database)."""

from __future__ import annotations

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from frontdesk.triage.abuse import AbuseAnalyzer, probability
from frontdesk.triage.base import Context
from frontdesk.triage.language import LanguageAnalyzer
from frontdesk.triage.pipeline import analyze
from frontdesk.triage.reply import NeedsReplyAnalyzer
from frontdesk.triage.sentiment import SentimentAnalyzer
from frontdesk.triage.urgency import UrgencyAnalyzer

POLITE_COMPLAINT = (
    "Hello, I returned both books on the 3rd, but I was charged overdue fines anyway. "
    "I emailed twice and nobody has answered. I'd like these fines removed, please."
)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (POLITE_COMPLAINT, "negative"),
        ("@united flight delayed 3 hours and still no update at the gate", "negative"),
        ("Third time I'm on hold for an hour. Why is nobody picking up?", "negative"),
        ("Thanks for nothing, my bag is still lost", "negative"),
        ("Thank you so much, the staff at the branch were wonderful!", "positive"),
        ("Love the new opening hours, great job", "positive"),
        ("Do you have the new Le Guin novel in large print?", "neutral"),
        ("Is the library open on Sunday?", "neutral"),
        # "still" asking whether something goes on is not waiting …
        ("Do you still do passport photos? How much are they?", "neutral"),
        ("Are you still open on Sundays?", "neutral"),
        # … but a question about something still wrong is.
        ("Why is my card still not working?", "negative"),
        ("Is the printer still broken?", "negative"),
        ("I am still waiting for an answer", "negative"),
    ],
)
def test_sentiment_reads_customer_messages(text, label):
    found = SentimentAnalyzer().analyze(text)
    assert found.label == label, found
    assert found.reason.startswith(label)


def test_a_polite_complaint_is_unhappy_where_plain_vader_is_not():
    vader = SentimentIntensityAnalyzer().polarity_scores(POLITE_COMPLAINT)["compound"]
    assert vader > -0.05  # plain VADER: not negative (the words are polite)
    found = SentimentAnalyzer().analyze(POLITE_COMPLAINT)
    assert found.label == "negative" and found.score < 0
    assert "nobody" in found.reason and "charged" in found.reason


@pytest.mark.parametrize(
    ("text", "intent", "score"),
    [
        ("Can I renew my loan online?", "question", 1.0),
        ("Please send me the form for a new card", "question", 1.0),
        (POLITE_COMPLAINT, "complaint", 1.0),
        ("Thanks!", "thanks", 0.0),
        ("thank you so much", "thanks", 0.0),
        ("The author talk last night was fantastic, what a wonderful evening", "praise", 0.0),
        ("I moved to 12 Elm Street last month", "statement", 0.5),
    ],
)
def test_needs_a_reply(text, intent, score):
    found = NeedsReplyAnalyzer().analyze(text)
    assert (found.label, found.score) == (intent, score), found


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Where can I return the books I borrowed last week?", "en"),
        ("Bonjour, je voudrais prolonger mon emprunt de deux semaines.", "fr"),
        ("Hola, mi tarjeta de la biblioteca no funciona desde ayer.", "es"),
        ("Guten Tag, ich habe meinen Ausweis verloren. Was soll ich tun?", "de"),
        ("ok", ""),
    ],
)
def test_language(text, language):
    assert LanguageAnalyzer().analyze(text).label == language


def test_abuse_matches_the_packaged_model_exactly_and_flags_insults():
    from profanity_check import predict_prob

    texts = [
        "You useless idiots, shut up and give me my money",
        "Could you tell me when the branch opens?",
        "this is bullshit, fuck you all",
        "",
    ]
    ours = [probability(text)[0] for text in texts]
    theirs = list(predict_prob(texts))
    assert ours == pytest.approx(theirs, abs=1e-9)
    insult = AbuseAnalyzer().analyze(texts[0])
    assert insult.label == "abusive" and "idiots" in insult.reason
    assert AbuseAnalyzer().analyze(texts[1]).label == ""


@pytest.mark.parametrize(
    ("text", "context", "label", "cue"),
    [
        (
            "My flight leaves TODAY and I still haven't got my passport back",
            None,
            "urgent",
            "today",
        ),
        ("I need this sorted ASAP, I want to speak to a manager", None, "urgent", "asap"),
        ("This is the third time I have written. Still waiting.", None, "soon", "third time"),
        ("Any news on my request?", Context(earlier_unanswered=1), "", None),
        (
            "Any news on my request? Still no answer",
            Context(earlier_unanswered=2),
            "urgent",
            "repeat contact",
        ),
        ("Do you sell gift cards?", None, "", None),
    ],
)
def test_urgency(text, context, label, cue):
    found = UrgencyAnalyzer().analyze(text, context or Context())
    assert found.label == label, found
    if cue:
        assert cue in found.reason


def test_all_caps_counts_towards_urgency():
    calm = UrgencyAnalyzer().analyze("where is my refund, it is overdue")
    shouting = UrgencyAnalyzer().analyze("WHERE IS MY REFUND, IT IS OVERDUE")
    assert shouting.score > calm.score and "ALL CAPS" in shouting.reason


def test_the_pipeline_gives_every_analyzer_a_reason():
    result = analyze(POLITE_COMPLAINT, Context(earlier_unanswered=1))
    reasons = result.reasons()
    assert set(reasons) == {"sentiment", "needs_reply", "language", "abuse", "urgency"}
    assert all(reasons.values())
    assert result.sentiment.label == "negative"
    assert result.needs_reply.label == "complaint"
    assert result.language.label == "en"
    assert result.abuse.label == ""
    assert result.urgency.label in ("soon", "urgent")


@pytest.mark.parametrize(
    "text",
    [
        POLITE_COMPLAINT,
        "Thank you so much, the staff at the branch were wonderful!",
        "La bibliothèque est fermée aujourd'hui ? Personne ne répond.",
        "ok",
        "Why is nobody answering? " * 400,  # past MAX_CHARS: judged on the same start
    ],
)
def test_a_reading_finds_what_the_pipeline_finds(text):
    from frontdesk.triage.pipeline import Reading

    full, reading = analyze(text), Reading(text)
    assert reading.sentiment == full.sentiment
    assert reading.needs_reply == full.needs_reply
    assert reading.language == full.language
