"""Community fixtures: a question of Riverside's, participants made the way sign-in
makes them (a contact with an email identity), factories for suggestions, and the
outreach set-up participant updates go out through: Mo Okafor (the moderator) as a
sender identity on an email channel that delivers to a real SMTP sink on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from frontdesk.community.actions import posts, staff
from frontdesk.community.actions.signin import participant_for
from frontdesk.community.models import Participant, Question, QuestionKind, Suggestion
from frontdesk.core.models import IdentityKind, Workspace
from frontdesk.outreach.actions.authoring import create_sender_identity
from frontdesk.outreach.models import SenderIdentity
from frontdesk.outreach.tests.conftest import Sink, make_email_channel


@pytest.fixture
def make_participant(db):
    def make(workspace: Workspace, name: str, email: str | None = None) -> Participant:
        address = email or f"{name.lower().replace(' ', '.')}@patrons.example"
        return participant_for(workspace, IdentityKind.EMAIL, address, name)

    return make


@pytest.fixture
def question(cast, riverside) -> Question:
    return staff.create_question(
        riverside,
        by=cast["moderator"],
        title="Which album should be on sale for a day? And why?",
        kind=QuestionKind.SUGGESTIONS,
    )


@pytest.fixture
def poll(cast, riverside) -> Question:
    return staff.create_question(
        riverside,
        by=cast["moderator"],
        title="Which new service should we try?",
        kind=QuestionKind.POLL,
        choices=["Seed library", "Tool library", "Late-night study hall"],
    )


@pytest.fixture
def make_suggestion(make_participant):
    def make(question: Question, text: str, by: Participant | str = "Sam Rivera") -> Suggestion:
        author = by if isinstance(by, Participant) else make_participant(question.workspace, by)
        return posts.suggest(question, participant=author, text=text)

    return make


@pytest.fixture
def smtp_sink() -> Iterator[Sink]:
    sink = Sink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def mo_sender(cast, riverside, smtp_sink) -> SenderIdentity:
    """The moderator as a face of outreach, sending through the sink."""
    channel = make_email_channel(riverside, port=smtp_sink.port, by=cast["owner"])
    return create_sender_identity(member=cast["moderator"], email_channel=channel, by=cast["owner"])
