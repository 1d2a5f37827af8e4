"""Vote counting under real concurrency on PostgreSQL: many voters at once on
parallel connections, and people racing two votes. (SQLite takes one writer at a
time, so it cannot show a race; CI runs these on PostgreSQL.)"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from frontdesk.community.actions import posts, staff
from frontdesk.community.actions.signin import participant_for
from frontdesk.community.models import Participant, PollVote, QuestionKind, Vote
from frontdesk.community.queries import ranked_suggestions
from frontdesk.core.models import IdentityKind

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises writers; the race needs PostgreSQL (FRONTDESK_TEST_POSTGRES=1)",
    ),
]

VOTERS = 200
# Parallel connections: the shared server allows 100 in all, and other test runs use it.
CONNECTIONS = 24
RACERS = 40


def _voters(workspace, count: int) -> list[Participant]:
    return [
        participant_for(workspace, IdentityKind.EMAIL, f"voter{i}@patrons.example", f"Voter {i}")
        for i in range(count)
    ]


def _in_own_connection(work):
    def run(*args):
        try:
            return work(*args)
        finally:
            connections.close_all()

    return run


def test_two_hundred_concurrent_voters_are_counted_exactly(cast, riverside):
    question = staff.create_question(
        riverside, by=cast["moderator"], title="Album on sale?", kind=QuestionKind.SUGGESTIONS
    )
    author = _voters(riverside, 1)[0]
    idea = posts.suggest(question, participant=author, text="Best of Talking Heads")
    other = posts.suggest(question, participant=author, text="Remain in Light")
    people = _voters(riverside, VOTERS)
    start = threading.Barrier(CONNECTIONS)
    started = threading.local()

    @_in_own_connection
    def cast_vote(person: Participant, suggestion) -> bool:
        if not getattr(started, "yes", False):
            started.yes = True
            start.wait(timeout=60)  # every connection opens, then all vote at once
        _, created = posts.vote(suggestion, participant=person)
        return created

    # Every voter votes for `idea`, every third one also for `other`, and every
    # fourth submits its vote for `idea` twice (a double click on two connections).
    jobs = [(p, idea) for p in people]
    jobs += [(p, other) for p in people[::3]]
    jobs += [(p, idea) for p in people[::4]]
    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        results = list(pool.map(lambda job: cast_vote(*job), jobs))

    assert results.count(True) == VOTERS + len(people[::3])
    counts = {s.pk: s.vote_count for s in ranked_suggestions(question)}
    assert counts == {idea.pk: VOTERS, other.pk: len(people[::3])}
    assert Vote.objects.filter(suggestion=idea).values("participant").distinct().count() == VOTERS


def test_a_person_racing_two_votes_gets_one(cast, riverside):
    question = staff.create_question(
        riverside,
        by=cast["moderator"],
        title="Album on sale?",
        kind=QuestionKind.BOTH,
        choices=["Remain in Light", "Fear of Music"],
    )
    people = _voters(riverside, RACERS)
    idea = posts.suggest(question, participant=people[0], text="Best of Talking Heads")
    choices = list(question.choices.all())

    @_in_own_connection
    def race(person: Participant, gate: threading.Barrier, poll_choice) -> None:
        gate.wait(timeout=30)
        if poll_choice is None:
            posts.vote(idea, participant=person)
        else:
            posts.vote_in_poll(question, participant=person, choice=poll_choice)

    for person in people:
        for pair in ((None, None), (choices[0], choices[1])):
            gate = threading.Barrier(2)
            threads = [
                threading.Thread(target=race, args=(person, gate, choice)) for choice in pair
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)

    assert Vote.objects.filter(suggestion=idea).count() == RACERS
    assert PollVote.objects.filter(question=question).count() == RACERS
