"""Civil moderation: triage holds abusive posts with the reason, the review queue's
decisions are logged, banned people cannot post, spam and floods are slowed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.urls import reverse

from frontdesk.community.actions import moderation, posts
from frontdesk.community.actions.common import CommunityError, settings_for
from frontdesk.community.models import ModerationAction, Visibility
from frontdesk.community.queries import published_comments
from frontdesk.core.errors import NotAllowed
from frontdesk.outreach import sending

CORPUS = Path(__file__).resolve().parents[3].parent / "shared/corpora/toxicity"
JIGSAW = CORPUS / "jigsaw_test_examples.csv"


def jigsaw_insults() -> list[str]:
    with JIGSAW.open(newline="", encoding="utf-8") as f:
        return [row["comment_text"] for row in csv.DictReader(f) if row["insult"] == "1"]


@pytest.mark.skipif(not JIGSAW.exists(), reason="no ../shared/corpora/toxicity here")
def test_abusive_comment_from_the_corpus_is_held_not_published(
    question, make_suggestion, make_participant, riverside, client
):
    idea = make_suggestion(question, "Best of Talking Heads")
    troll = make_participant(riverside, "Troll")
    insults = jigsaw_insults()
    assert insults, "the corpus has insult-labelled comments"
    held = [posts.comment(idea, participant=troll, body=text) for text in insults]

    assert all(c.visibility == Visibility.HELD for c in held)
    assert all(c.hold_reason.startswith("Held automatically: abusive language") for c in held)
    assert published_comments(idea) == []
    page = client.get(reverse("community_public:suggestion", args=[riverside.slug, idea.pk]))
    assert page.status_code == 200
    for text in insults:
        assert text[:40] not in page.content.decode()
    assert ModerationAction.objects.filter(kind="hold", comment__in=held).count() == len(held)


def test_civil_comment_is_published(question, make_suggestion, make_participant, riverside):
    idea = make_suggestion(question, "Best of Talking Heads")
    fan = make_participant(riverside, "Fan")
    made = posts.comment(idea, participant=fan, body="Yes! Once in a Lifetime is a classic.")
    assert made.visibility == Visibility.PUBLISHED
    assert [c.pk for c in published_comments(idea)] == [made.pk]


def test_review_queue_approve_edit_reject_are_logged(
    question, make_suggestion, make_participant, riverside, cast, mo_sender, smtp_sink
):
    idea = make_suggestion(question, "Best of Talking Heads")
    author = make_participant(riverside, "Kim", "kim@patrons.example")
    first = posts.comment(idea, participant=author, body="you are all idiots, this is stupid")
    second = posts.comment(idea, participant=author, body="shut up you moron")
    assert first.visibility == second.visibility == Visibility.HELD

    with pytest.raises(NotAllowed):
        moderation.approve(first, by=cast["agent"])
    moderation.approve(first, by=cast["moderator"], edited="I disagree with this one.")
    first.refresh_from_db()
    assert (first.visibility, first.body) == (Visibility.PUBLISHED, "I disagree with this one.")

    moderation.reject(second, by=cast["moderator"], message="Please keep it civil.")
    sending.send_due(budget_seconds=30)
    (told,) = smtp_sink.messages()
    assert told["To"] == "Kim <kim@patrons.example>"
    assert "Please keep it civil." in told.get_body(("plain",)).get_content()
    kinds = list(
        ModerationAction.objects.filter(moderator=cast["moderator"]).values_list("kind", flat=True)
    )
    assert sorted(kinds) == ["edit", "reject"]


def test_banned_person_cannot_post_until_the_ban_ends(
    question, make_suggestion, make_participant, riverside, cast, client
):
    idea = make_suggestion(question, "Best of Talking Heads")
    banned = make_participant(riverside, "Banned Bo")
    ban = moderation.ban(banned, by=cast["moderator"], days=7, reason="Repeated insults")
    with pytest.raises(CommunityError, match="cannot post until"):
        posts.suggest(question, participant=banned, text="A new idea")
    with pytest.raises(CommunityError, match="cannot post until"):
        posts.comment(idea, participant=banned, body="Hello again")
    moderation.lift_ban(ban, by=cast["moderator"])
    assert posts.comment(idea, participant=banned, body="Thanks, sorry.").visibility == "published"
    assert list(
        ModerationAction.objects.filter(participant=banned).values_list("kind", flat=True)
    ) == ["unban", "ban"]


def test_posting_too_fast_is_slowed_down(question, make_suggestion, make_participant, riverside):
    idea = make_suggestion(question, "Best of Talking Heads")
    policy = settings_for(riverside)
    policy.posts_per_window = 3
    policy.save()
    eager = make_participant(riverside, "Eager")
    for i in range(3):
        posts.comment(idea, participant=eager, body=f"Thought number {i}")
    with pytest.raises(CommunityError) as refused:
        posts.comment(idea, participant=eager, body="One more")
    assert refused.value.code == "rate_limited"


def test_link_heavy_post_is_held_as_possible_spam(question, make_participant, riverside):
    spammer = make_participant(riverside, "Spam")
    made = posts.suggest(
        question,
        participant=spammer,
        text="Cheap pills http://a.example http://b.example https://c.example",
    )
    assert made.visibility == Visibility.HELD
    assert "spam" in made.hold_reason


def test_three_flags_hold_a_post(question, make_suggestion, make_participant, riverside):
    idea = make_suggestion(question, "Best of Talking Heads")
    made = posts.comment(idea, participant=make_participant(riverside, "Author"), body="meh")
    flagger = make_participant(riverside, "F0")
    posts.report(participant=flagger, comment=made, reason="rude")
    posts.report(participant=flagger, comment=made, reason="rude")  # once per person
    made.refresh_from_db()
    assert made.visibility == Visibility.PUBLISHED
    for name in ("F1", "F2"):
        posts.report(participant=make_participant(riverside, name), comment=made, reason="rude")
    made.refresh_from_db()
    assert made.visibility == Visibility.HELD
    assert made.hold_reason == "Held after 3 people flagged it."


def test_banned_person_is_told_on_the_pages_and_nothing_is_stored(
    question, make_suggestion, make_participant, riverside, cast, client
):
    from frontdesk.community.models import Comment, FanQuestion, Suggestion

    idea = make_suggestion(question, "Best of Talking Heads")
    banned = make_participant(riverside, "Banned Bo")
    moderation.ban(banned, by=cast["moderator"], days=7, reason="Repeated insults")
    session = client.session
    session["community_participant"] = {str(riverside.pk): banned.pk}
    session.save()
    slug = riverside.slug
    attempts = [
        (
            reverse("community_public:suggest", args=[slug, question.number]),
            {"text": "A brand new idea", "confirm": "True"},
        ),
        (reverse("community_public:comment", args=[slug, idea.pk]), {"body": "Hello again"}),
        (reverse("community_public:ask", args=[slug]), {"title": "Can I post now?"}),
    ]
    before = (Suggestion.objects.count(), Comment.objects.count(), FanQuestion.objects.count())
    for url, data in attempts:
        response = client.post(url, data, follow=True)
        assert response.status_code in (200, 400, 409), url
        assert "cannot post until" in response.content.decode(), url
        assert "Repeated insults" in response.content.decode(), url
    after = (Suggestion.objects.count(), Comment.objects.count(), FanQuestion.objects.count())
    assert after == before
