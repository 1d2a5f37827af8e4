"""Fans answer fans: customers ask and answer, abusive answers are held, staff accept
one answer and thank its author; accepted answers count for contributors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontdesk.community.actions import answers
from frontdesk.community.actions.common import CommunityError
from frontdesk.community.models import Answer, Visibility
from frontdesk.community.queries import contributors, published_answers
from frontdesk.core.errors import NotAllowed
from frontdesk.outreach import sending


def test_accepting_an_answer_thanks_its_author_and_keeps_one_accepted(
    riverside, cast, make_participant, mo_sender, smtp_sink
):
    asker = make_participant(riverside, "Asker")
    fan = make_participant(riverside, "Helpful Hana", "hana@patrons.example")
    other = make_participant(riverside, "Other Otto")
    fq = answers.ask(riverside, participant=asker, title="Is Sunday jazz night fine for kids?")
    first = answers.answer(fq, participant=other, body="Probably, it's early.")
    best = answers.answer(fq, participant=fan, body="Yes, it ends at 7 and there are cushions.")
    staff_reply = answers.staff_answer(fq, by=cast["agent"], body="Kids are welcome!")
    assert staff_reply.author_name == "Maya Patel"

    with pytest.raises(NotAllowed):
        answers.accept_answer(best, by=cast["agent"])
    answers.accept_answer(first, by=cast["moderator"])
    answers.accept_answer(best, by=cast["moderator"], thanks="Thank you, Hana!")
    assert list(Answer.objects.filter(accepted=True)) == [best]
    sending.send_due(budget_seconds=30)
    (thanked,) = smtp_sink.messages()
    assert thanked["To"] == "Helpful Hana <hana@patrons.example>"
    assert "Thank you, Hana!" in thanked.get_body(("plain",)).get_content()
    assert next(iter(published_answers(fq))).pk == best.pk  # accepted first
    ranked = {c.participant.display_name: c.accepted_answers for c in contributors(riverside)}
    assert ranked == {"Helpful Hana": 1}  # the others have nothing adopted or accepted yet


def test_abusive_answer_is_held_and_banned_fans_cannot_ask(riverside, cast, make_participant):
    from frontdesk.community.actions import moderation

    asker = make_participant(riverside, "Asker")
    fq = answers.ask(riverside, participant=asker, title="Where is the quiet study room?")
    rude = answers.answer(
        fq, participant=make_participant(riverside, "Rude"), body="Shut up, idiot."
    )
    assert rude.visibility == Visibility.HELD
    assert list(published_answers(fq)) == []
    moderation.ban(asker, by=cast["moderator"], days=2)
    with pytest.raises(CommunityError, match="cannot post"):
        answers.ask(riverside, participant=asker, title="Another question")


def test_pages_ask_and_answer(client, riverside, make_participant):
    fan = make_participant(riverside, "Fan")
    session = client.session
    session["community_participant"] = {str(riverside.pk): fan.pk}
    session.save()
    asked = client.post(
        reverse("community_public:ask", args=[riverside.slug]),
        {"title": "Which branch has the best reading garden?"},
    )
    assert asked.status_code == 302
    page = client.get(asked["Location"])
    assert "Which branch has the best reading garden?" in page.content.decode()
    client.post(asked["Location"], {"body": "Eastside, by far: roses and shade."})
    assert "roses and shade" in client.get(asked["Location"]).content.decode()
    listing = client.get(reverse("community_public:ask", args=[riverside.slug]))
    assert "1 answer" in listing.content.decode()


def test_outsider_cannot_accept_riverside_answers(client_for, cast, riverside, make_participant):
    fq = answers.ask(riverside, participant=make_participant(riverside, "A"), title="Parking?")
    reply = answers.answer(fq, participant=make_participant(riverside, "B"), body="Lot behind.")
    outsider = client_for(cast["outsider"])
    hillview = cast["outsider"].workspace.slug
    url = reverse("community:accept-answer", kwargs={"ws": hillview, "pk": reply.pk})
    assert outsider.post(url).status_code == 404
    reply.refresh_from_db()
    assert not reply.accepted
    assert (
        outsider.get(reverse("community_public:fan-question", args=[hillview, fq.pk])).status_code
        == 404
    )
