"""The community's demo data: an open question with suggestions, votes, comments (one
held by moderation), a poll, an earlier question closed with its announcement, fans
answering fans (one answer accepted, one held) and photos (drawn here: two
published, one waiting for approval).
Added to `load_demo` by `register()`; safe to run again (it stops if question 1 exists)."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from django.utils import timezone
from PIL import Image, ImageDraw

from frontdesk.community.actions import answers, photos, posts, staff
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

    _fans_answer_fans(workspace, people, moderator)
    _photos(people, moderator)


def _fans_answer_fans(
    workspace: Workspace, people: list[Participant], moderator: Membership
) -> None:
    def person(i: int) -> Participant:
        return people[i % len(people)]

    jazz = answers.ask(
        workspace,
        participant=person(2),
        title="Is the Sunday jazz night fine for kids?",
        body="Thinking of bringing my two (6 and 9).",
    )
    answers.answer(jazz, participant=person(7), body="We went last month: it's loud but friendly.")
    best = answers.answer(
        jazz,
        participant=person(4),
        body="Yes! It ends at 7, there are cushions at the front and a colouring table.",
    )
    answers.accept_answer(best, by=moderator)
    answers.answer(jazz, participant=person(9), body="Only idiots bring kids, stupid question.")
    parking = answers.ask(
        workspace, participant=person(6), title="Where can I park near the Eastside branch?"
    )
    answers.answer(
        parking, participant=person(1), body="The lot behind the bakery is free after 6."
    )


def _picture(sky: tuple[int, int, int], ground: tuple[int, int, int], sun: bool) -> bytes:
    """A small drawn landscape (the demo downloads nothing)."""
    image = Image.new("RGB", (1200, 800), sky)
    draw = ImageDraw.Draw(image)
    for y in range(0, 520, 4):  # a soft sky gradient
        shade = tuple(min(255, c + y // 12) for c in sky)
        draw.rectangle((0, y, 1200, y + 4), fill=shade)
    if sun:
        draw.ellipse((860, 90, 1010, 240), fill=(255, 214, 102))
    draw.polygon(
        [(0, 560), (380, 420), (760, 540), (1200, 440), (1200, 800), (0, 800)], fill=ground
    )
    draw.rectangle((160, 470, 420, 640), fill=(188, 108, 72))  # the branch library
    draw.polygon([(140, 470), (290, 380), (440, 470)], fill=(120, 60, 44))
    draw.rectangle((265, 560, 315, 640), fill=(70, 40, 30))
    buffer = BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _photos(people: list[Participant], moderator: Membership) -> None:
    shared = [
        (1, "Story time in the reading garden", "Ben C.", ((120, 170, 225), (96, 160, 90), True)),
        (5, "Eastside branch at dusk", "Farid H.", ((70, 80, 140), (60, 100, 70), False)),
        (8, "The new picture-book corner", "Isabel", ((150, 190, 230), (120, 170, 100), True)),
    ]
    made = [
        photos.share_photo(
            people[index % len(people)],
            data=_picture(*look),
            caption=caption,
            credit=credit,
            consent=True,
        )
        for index, caption, credit, look in shared
    ]
    for photo in made[:2]:  # the third waits in the review queue
        photos.decide_photo(photo, by=moderator, approve=True)
