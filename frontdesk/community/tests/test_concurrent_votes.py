"""Vote counting under real concurrency on PostgreSQL: many voters at once on
parallel connections, people racing two votes, and votes racing a merge. (SQLite
takes one writer at a time, so it cannot show a race; CI runs these on PostgreSQL.)"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction

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


def _waiting_on_locks() -> int:
    """How many connections to this test database wait for a row lock right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def _merge_race_check(duplicate, target, everyone: list[Participant]) -> None:
    """After a merge and votes that raced it: no vote is left on the duplicate, each
    person who voted (for either) has exactly one vote on the target, and the
    target's count is the number of those people."""
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == target.pk
    assert not Vote.objects.filter(suggestion=duplicate).exists()
    on_target = list(Vote.objects.filter(suggestion=target).values_list("participant", flat=True))
    assert len(on_target) == len(set(on_target))  # nobody has two votes on the target
    assert set(on_target) == {p.pk for p in everyone}
    counts = {s.pk: s.vote_count for s in ranked_suggestions(target.question)}
    assert counts == {target.pk: len(everyone)}


def test_votes_waiting_on_a_merge_land_on_its_target_once(cast, riverside):
    """The merge holds both rows locked while votes arrive for either suggestion: the
    votes wait (seen in pg_stat_activity), then each lands on the target, once."""
    question = staff.create_question(
        riverside, by=cast["moderator"], title="Album on sale?", kind=QuestionKind.SUGGESTIONS
    )
    people = _voters(riverside, 24)
    duplicate = posts.suggest(question, participant=people[0], text="Talking Heads best of")
    target = posts.suggest(question, participant=people[1], text="Best of Talking Heads")
    for_dup, for_target, for_both, newcomers = people[:6], people[6:12], people[12:16], people[16:]
    for person in for_dup + for_both:
        posts.vote(duplicate, participant=person)
    for person in for_target + for_both:
        posts.vote(target, participant=person)
    # Everyone votes again while the merge is under way: for the duplicate (its row as
    # loaded before the merge), except that half the newcomers vote for the target.
    jobs = [(p, duplicate) for p in for_dup + for_target + for_both + newcomers[::2]]
    jobs += [(p, target) for p in newcomers[1::2]]
    merged, release = threading.Event(), threading.Event()

    @_in_own_connection
    def merge() -> None:
        with transaction.atomic():  # the merge's locks are held until this commits
            staff.merge_suggestions(duplicate, into=target, by=cast["moderator"])
            merged.set()
            assert release.wait(timeout=60)

    @_in_own_connection
    def cast_vote(person: Participant, suggestion) -> bool:
        made, created = posts.vote(suggestion, participant=person)
        assert made.suggestion_id == target.pk
        return created

    with ThreadPoolExecutor(max_workers=1 + len(jobs)) as pool:
        merging = pool.submit(merge)
        assert merged.wait(timeout=60)
        voting = [pool.submit(cast_vote, *job) for job in jobs]
        for _ in range(600):
            if _waiting_on_locks() >= len(jobs):
                break
            time.sleep(0.05)
        waiting = _waiting_on_locks()
        release.set()
        merging.result(timeout=60)
        created = [v.result(timeout=60) for v in voting]

    assert waiting == len(jobs)  # every vote really waited on the merge
    assert created.count(True) == len(newcomers)  # old voters kept their one vote
    _merge_race_check(duplicate, target, people)


ROUNDS = 8


def test_a_vote_racing_a_merge_is_counted_once_on_the_target(cast, riverside):
    """Votes and a merge let go together, in rounds, so they interleave every way the
    scheduler likes: votes before, during and after the merge's transaction."""
    people = _voters(riverside, 16)
    for round_number in range(ROUNDS):
        question = staff.create_question(
            riverside,
            by=cast["moderator"],
            title=f"Album on sale, round {round_number}?",
            kind=QuestionKind.SUGGESTIONS,
        )
        author = participant_for(
            riverside, IdentityKind.EMAIL, f"author{round_number}@patrons.example", "Author"
        )  # each round's own (the rate limit counts a person's posts)
        duplicate = posts.suggest(question, participant=author, text="Talking Heads best of")
        target = posts.suggest(question, participant=author, text="Best of Talking Heads")
        for person in people[:4]:
            posts.vote(duplicate, participant=person)
        for person in people[2:6]:
            posts.vote(target, participant=person)
        jobs = [(p, duplicate) for p in people[::2]] + [(p, target) for p in people[1::2]]
        start = threading.Barrier(1 + len(jobs))

        @_in_own_connection
        def merge(gate=start, duplicate=duplicate, target=target) -> None:
            gate.wait(timeout=60)
            staff.merge_suggestions(duplicate, into=target, by=cast["moderator"])

        @_in_own_connection
        def cast_vote(person: Participant, suggestion, gate=start) -> None:
            gate.wait(timeout=60)
            posts.vote(suggestion, participant=person)

        with ThreadPoolExecutor(max_workers=1 + len(jobs)) as pool:
            futures = [pool.submit(merge)] + [pool.submit(cast_vote, *job) for job in jobs]
            for future in futures:
                future.result(timeout=120)
        _merge_race_check(duplicate, target, people)
