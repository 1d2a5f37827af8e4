"""The community's demo data: an open question with suggestions, votes, comments (one
held by moderation), a poll, and an earlier question closed with its announcement.
Added to `load_demo` by `register()`; safe to run again (it stops if question 1 exists)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from frontdesk.community.actions import posts, staff
from frontdesk.community.actions.signin import participant_for
from frontdesk.community.models import Participant, Question, QuestionKind, Suggestion
from frontdesk.core.models import ContactIdentity, Membership, Workspace
from frontdesk.demo.core import DEMO_STEPS

STEP_NAME = "community"
MODERATOR = "sam@riverside-library.example"

SUGGESTIONS = [
    # text, details, author index, voter indices
    ("Best of Talking Heads", "A perfect gateway record. Once in a Lifetime!", 0, range(0, 11)),
    ("Kind of Blue by Miles Davis", "The best-selling jazz album ever; timeless.", 3, range(2, 8)),
    ("Nina Simone – Little Girl Blue", "", 6, range(4, 8)),
    ("Talking Heads - the best of", "", 8, range(8, 11)),
    ("Buena Vista Social Club", "Summer is coming.", 10, range(9, 11)),
]


def register() -> None:
    if all(name != STEP_NAME for name, _ in DEMO_STEPS):
        DEMO_STEPS.append((STEP_NAME, load_community_demo))


def _participants(workspace: Workspace) -> list[Participant]:
    people = []
    identities = (
        ContactIdentity.objects.for_workspace(workspace)
        .filter(kind__in=["email", "phone"])
        .select_related("contact")
        .order_by("contact__name", "kind")
    )
    seen: set[int] = set()
    for identity in identities:
        if identity.contact_id in seen or not identity.contact.name:
            continue
        seen.add(identity.contact_id)
        people.append(
            participant_for(workspace, identity.kind, identity.value, identity.contact.name)
        )
    return people


def load_community_demo(workspace: Workspace, staff_members: dict[str, Membership]) -> None:
    if Question.objects.for_workspace(workspace).exists():
        return
    moderator = staff_members[MODERATOR]
    people = _participants(workspace)
    earlier = staff.create_question(
        workspace,
        by=moderator,
        title="What should our summer reading theme be?",
        kind=QuestionKind.SUGGESTIONS,
    )
    oceans = posts.suggest(earlier, participant=people[1], text="Oceans and the deep sea")
    posts.suggest(earlier, participant=people[5], text="Space exploration")
    for person in people[:9]:
        posts.vote(oceans, participant=person)
    staff.close_question(
        earlier,
        by=moderator,
        chosen_suggestion=oceans,
        message="Dive in from 1 June: reading logs at every desk.",
    )

    album = staff.create_question(
        workspace,
        by=moderator,
        title="Which album should be on sale for a day? And why?",
        body="One album, half price in our music shop, for one Saturday. You choose.",
        kind=QuestionKind.SUGGESTIONS,
        closes_at=timezone.now() + timedelta(days=12),
    )
    made: list[Suggestion] = []
    for text, details, author, voters in SUGGESTIONS:
        idea = posts.suggest(
            album, participant=people[author % len(people)], text=text, details=details
        )
        made.append(idea)
        for index in voters:
            posts.vote(idea, participant=people[index % len(people)])
    posts.comment(
        made[0], participant=people[4], body="Yes! Burning Down the House on vinyl, please."
    )
    reply_to = posts.comment(made[1], participant=people[5], body="My dad's favourite record.")
    posts.comment(
        made[1], participant=people[3], body="Mine too. So What is perfect.", parent=reply_to
    )
    posts.staff_comment(made[0], by=moderator, body="Lots of love for this one. We'll check stock!")
    # One comment for the review queue: held by triage's abuse flag.
    posts.comment(
        made[2], participant=people[9 % len(people)], body="Only an idiot would pick this garbage."
    )

    staff.create_question(
        workspace,
        by=moderator,
        title="Which new service should we try next?",
        kind=QuestionKind.POLL,
        choices=["Seed library", "Tool library", "Late-night study hall", "Board-game evenings"],
        closes_at=timezone.now() + timedelta(days=20),
    )
    poll = Question.objects.for_workspace(workspace).get(kind=QuestionKind.POLL)
    choices = list(poll.choices.all())
    for index, person in enumerate(people):
        posts.vote_in_poll(poll, participant=person, choice=choices[index * 7 % len(choices)])
