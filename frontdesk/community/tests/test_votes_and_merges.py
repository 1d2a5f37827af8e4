"""Voting, merging duplicates, statuses and the announcement's credit."""

from __future__ import annotations

import pytest

from frontdesk.community.actions import posts, staff
from frontdesk.community.actions.common import CommunityError
from frontdesk.community.models import Comment, ModerationAction, PollVote, Suggestion, Vote
from frontdesk.community.queries import contributors, ranked_suggestions, similar_suggestions
from frontdesk.core.errors import NotAllowed
from frontdesk.outreach import sending


def test_one_vote_per_person_per_suggestion(question, make_suggestion, make_participant, riverside):
    idea = make_suggestion(question, "Best of Talking Heads")
    ana = make_participant(riverside, "Ana Lopez")
    _, created = posts.vote(idea, participant=ana)
    _, again = posts.vote(idea, participant=ana)
    assert (created, again) == (True, False)
    assert Vote.objects.filter(suggestion=idea).count() == 1
    assert ranked_suggestions(question).get().vote_count == 1


def test_merge_keeps_votes_and_comments_without_double_counting(
    question, make_suggestion, make_participant, riverside, cast
):
    original = make_suggestion(question, "Best of Talking Heads", by="Sam Rivera")
    duplicate = make_suggestion(question, "The Best of the Talking Heads!", by="Jo Chen")
    both, only_dup, only_orig = (
        make_participant(riverside, n) for n in ("Bea Both", "Dee Dup", "Ola Orig")
    )
    for person in (both, only_orig):
        posts.vote(original, participant=person)
    for person in (both, only_dup):
        posts.vote(duplicate, participant=person)
    posts.comment(duplicate, participant=only_dup, body="Stop Making Sense is on it too, great")

    staff.merge_suggestions(duplicate, into=original, by=cast["moderator"])

    assert Vote.objects.filter(suggestion=original).count() == 3  # Bea counted once
    assert not Vote.objects.filter(suggestion=duplicate).exists()
    assert Comment.objects.filter(suggestion=original).count() == 1
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == original.pk
    assert [s.pk for s in ranked_suggestions(question)] == [original.pk]
    # A late vote for the merged one lands on the one it went into.
    late = make_participant(riverside, "Lee Late")
    vote, _ = posts.vote(duplicate, participant=late)
    assert vote.suggestion_id == original.pk
    assert ModerationAction.objects.filter(kind="merge", moderator=cast["moderator"]).exists()


def test_announcement_credits_voters_and_first_suggester(
    question, make_suggestion, make_participant, riverside, cast, mo_sender, smtp_sink
):
    later = make_suggestion(question, "Best of Talking Heads", by="Robin Later")
    first = make_suggestion(question, "Talking Heads best of", by="Sam Rivera")
    # Sam's idea came first but is the one merged away: the credit still goes to Sam.
    Suggestion.objects.filter(pk=first.pk).update(created_at=later.created_at.replace(year=2020))
    voters = [make_participant(riverside, f"Voter {i}") for i in range(5)]
    for v in voters:
        posts.vote(later, participant=v)
    posts.vote(first, participant=voters[0])
    staff.merge_suggestions(first, into=later, by=cast["moderator"])

    with pytest.raises(NotAllowed):
        staff.close_question(question, by=cast["agent"], chosen_suggestion=later)
    announcement = staff.close_question(
        question,
        by=cast["moderator"],
        chosen_suggestion=later,
        message="It's on sale Saturday.",
        notify_participants=True,
    )
    assert announcement.credit == "Chosen by 5 of you, first suggested by Sam Rivera"
    question.refresh_from_db()
    assert not question.is_open()
    # Everyone who voted or suggested is told once: 5 voters + Robin + Sam.
    assert announcement.__class__.objects.get().notified == 7
    sending.send_due(budget_seconds=30)
    received = smtp_sink.messages()
    assert len(received) == 7
    assert "Chosen by 5 of you" in received[0].get_body(("plain",)).get_content()
    with pytest.raises(CommunityError):
        posts.vote(later, participant=make_participant(riverside, "Too Late"))


def test_status_change_notifies_each_voter_and_declining_needs_a_reason(
    question, make_suggestion, make_participant, riverside, cast, mo_sender, smtp_sink
):
    idea = make_suggestion(question, "Longer Sunday opening hours")
    for name in ("Ana", "Ben"):
        posts.vote(idea, participant=make_participant(riverside, name))
    with pytest.raises(CommunityError):
        staff.set_suggestion_status(idea, by=cast["moderator"], status="declined")
    staff.set_suggestion_status(idea, by=cast["moderator"], status="planned")
    sending.send_due(budget_seconds=30)
    received = smtp_sink.messages()
    assert sorted(m["To"] for m in received) == [
        "Ana <ana@patrons.example>",
        "Ben <ben@patrons.example>",
    ]
    assert "is planned" in received[0]["Subject"]


def test_poll_gives_one_vote_per_person_and_lets_them_change_it(poll, make_participant, riverside):
    ana = make_participant(riverside, "Ana")
    seeds, tools, _ = poll.choices.all()
    posts.vote_in_poll(poll, participant=ana, choice=seeds)
    posts.vote_in_poll(poll, participant=ana, choice=tools)
    assert list(PollVote.objects.filter(question=poll).values_list("choice", flat=True)) == [
        tools.pk
    ]


def test_similar_suggestions_are_offered_for_realistic_near_duplicates(question, make_suggestion):
    make_suggestion(question, "Best of Talking Heads")
    make_suggestion(question, "More large-print books")
    make_suggestion(question, "Stop Making Sense (live)")
    for typed in (
        "The Best of the Talking Heads!",
        "talking heads - best of",
        "Best of Talkin Heads",
        "best of TALKING HEADS please",
    ):
        assert [s.text for s in similar_suggestions(question, typed)][:1] == [
            "Best of Talking Heads"
        ], typed
    assert similar_suggestions(question, "Abbey Road by the Beatles") == []
    assert similar_suggestions(question, "Best of Queen") == []


def test_contributors_rank_adopted_ideas_and_helpful_votes(
    question, make_suggestion, make_participant, riverside, cast
):
    sam = make_participant(riverside, "Sam Rivera")
    jo = make_participant(riverside, "Jo Chen")
    adopted = make_suggestion(question, "Best of Talking Heads", by=sam)
    make_suggestion(question, "Chess club", by=jo)
    posts.vote(adopted, participant=jo)
    posts.vote(adopted, participant=sam)  # one's own vote is not a "helpful" vote
    staff.set_suggestion_status(adopted, by=cast["moderator"], status="planned")
    ranked = contributors(riverside)
    assert [(c.participant.display_name, c.adopted, c.helpful_votes) for c in ranked] == [
        ("Sam Rivera", 1, 1),
        ("Jo Chen", 0, 0),
    ]


def test_another_workspace_sees_and_touches_nothing(
    question, make_suggestion, cast, make_participant
):
    idea = make_suggestion(question, "Best of Talking Heads")
    hillview = cast["outsider"].workspace
    stranger = make_participant(hillview, "Hal Hill")
    with pytest.raises(CommunityError):
        posts.vote(idea, participant=stranger)
    with pytest.raises(NotAllowed):
        staff.set_suggestion_status(idea, by=cast["outsider"], status="planned")
    assert contributors(hillview) == []
