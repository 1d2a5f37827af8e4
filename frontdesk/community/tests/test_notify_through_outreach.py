"""Participant updates go out through outreach: delivery rows sent by outreach's
sending loop from the acting staff member's sender identity (or the workspace's
default sender), in the "community" topic a participant can leave, to an aiosmtpd
sink or the loopback Twilio stand-in. The sign-in link stays immediate (see
test_signin_and_pages)."""

from __future__ import annotations

from email.utils import parseaddr

import pytest

from frontdesk.channels.email.receive import receive_raw
from frontdesk.channels.email.tests.conftest import write_mail
from frontdesk.community.actions import posts, staff
from frontdesk.community.actions.signin import participant_for
from frontdesk.core.models import IdentityKind
from frontdesk.inbox import intake
from frontdesk.outreach import sending
from frontdesk.outreach.actions import app_notices
from frontdesk.outreach.actions.authoring import create_sender_identity
from frontdesk.outreach.actions.recipients import suppress
from frontdesk.outreach.models import (
    Delivery,
    DeliveryState,
    Notice,
    OutreachSettings,
    Subscription,
    SubscriptionStatus,
    Suppression,
)

pytestmark = pytest.mark.django_db


def _plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_an_announcement_reaches_every_voter_from_the_moderator_through_outreach(
    question, make_suggestion, make_participant, riverside, cast, mo_sender, smtp_sink, monkeypatch
):
    # Queued in lists of 3 ids here (500 in life): 4 people take two rounds.
    monkeypatch.setattr(app_notices, "CHUNK", 3)
    idea = make_suggestion(question, "Best of Talking Heads", by="Sam Rivera")
    voters = [make_participant(riverside, f"Voter {i}") for i in range(3)]
    for voter in voters:
        posts.vote(idea, participant=voter)

    announcement = staff.close_question(
        question,
        by=cast["moderator"],
        chosen_suggestion=idea,
        message="Half price on Saturday.",
        notify_participants=True,
    )
    # Queued with the announcement, one notice and delivery each, nothing sent yet.
    assert announcement.notified == 4
    assert smtp_sink.received == []
    notices = Notice.objects.filter(workspace=riverside)
    assert notices.count() == 4
    assert {n.sender_id for n in notices} == {mo_sender.pk}
    assert {n.topic.slug for n in notices} == {"community"}

    assert sending.send_due(budget_seconds=30)[0] == 4
    received = smtp_sink.messages()
    assert sorted(parseaddr(m["To"])[1] for m in received) == [
        "sam.rivera@patrons.example",
        "voter.0@patrons.example",
        "voter.1@patrons.example",
        "voter.2@patrons.example",
    ]
    mail = received[0]
    assert parseaddr(mail["From"])[0] == "Mo Okafor via Riverside Public Library"
    assert mail["Subject"] == "You chose: Best of Talking Heads"
    text = _plain(mail)
    assert "Chosen by 3 of you, first suggested by Sam Rivera." in text
    assert "Half price on Saturday." in text
    assert f"/c/riverside/q/{question.number}/" in mail.get_body(("html",)).get_content()
    # Replies come home (outreach's reply address) and one click unsubscribes.
    assert "+o" in parseaddr(mail["Reply-To"])[1]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    states = set(Delivery.objects.values_list("state", flat=True))
    assert states == {DeliveryState.SENT}
    # Another sending pass sends nothing again.
    sending.send_due(budget_seconds=30)
    assert len(smtp_sink.received) == 4


def test_a_reply_to_an_update_comes_home_as_a_conversation_assigned_to_the_moderator(
    question, make_suggestion, make_participant, riverside, cast, mo_sender, smtp_sink
):
    idea = make_suggestion(question, "Sunday jazz for kids")
    ana = make_participant(riverside, "Ana")
    posts.vote(idea, participant=ana)
    staff.set_suggestion_status(idea, by=cast["moderator"], status="planned")
    sending.send_due(budget_seconds=30)
    (update,) = smtp_sink.messages()

    raw = write_mail(
        sender="Ana <ana@patrons.example>",
        to=update["Reply-To"],
        subject="Re: " + update["Subject"],
        body="Wonderful, can we bring cushions?\n",
        in_reply_to=update["Message-ID"],
    )
    receive_raw(mo_sender.email_channel, raw, via="smtpd")
    intake._process_batch(intake.claim_inbound_events(limit=10))
    delivery = Delivery.objects.get(contact=ana.contact)
    conversation = delivery.reply_conversation
    assert conversation is not None and conversation.contact_id == ana.contact_id
    assert conversation.assignee == cast["moderator"]


def test_an_unsubscribed_or_suppressed_participant_gets_no_more_updates(
    question, make_suggestion, make_participant, riverside, cast, mo_sender, smtp_sink, client
):
    idea = make_suggestion(question, "Longer Sunday opening hours")
    ana, ben, cy = (make_participant(riverside, name) for name in ("Ana", "Ben", "Cy"))
    for person in (ana, ben, cy):
        posts.vote(idea, participant=person)
    staff.set_suggestion_status(idea, by=cast["moderator"], status="planned")
    sending.send_due(budget_seconds=30)
    first = {parseaddr(m["To"])[1]: m for m in smtp_sink.messages()}
    assert sorted(first) == ["ana@patrons.example", "ben@patrons.example", "cy@patrons.example"]

    # Ana unsubscribes with one click from the mail she got (RFC 8058).
    url = first["ana@patrons.example"]["List-Unsubscribe"].split(">")[0].lstrip("<")
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = client.post(
        "/" + path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "no more “Community updates” messages" in response.content.decode()
    # She left community updates only: her address is not suppressed for everything.
    choice = Subscription.objects.get(contact=ana.contact)
    assert (choice.topic.slug, choice.status) == ("community", SubscriptionStatus.UNSUBSCRIBED)
    assert not Suppression.objects.filter(address="ana@patrons.example").exists()
    # Ben's address bounced (suppressed for all outreach).
    suppress(riverside.pk, "ben@patrons.example", reason="bounce")

    smtp_sink.received.clear()
    staff.set_suggestion_status(idea, by=cast["moderator"], status="done")
    sending.send_due(budget_seconds=30)
    assert [parseaddr(m["To"])[1] for m in smtp_sink.messages()] == ["cy@patrons.example"]
    latest = {
        d.address: d
        for d in Delivery.objects.filter(notice__external_id__contains="status").order_by("pk")
    }
    assert latest["ana@patrons.example"].state == DeliveryState.SUPPRESSED
    assert "Community updates" in latest["ana@patrons.example"].error
    assert latest["ben@patrons.example"].state == DeliveryState.SUPPRESSED


def test_a_participant_known_only_by_phone_gets_a_text(
    question, make_suggestion, riverside, cast, make_sms_channel, twilio_api
):
    texts = make_sms_channel()
    create_sender_identity(member=cast["moderator"], sms_channel=texts, by=cast["owner"])
    idea = make_suggestion(question, "A seed library")
    pat = participant_for(riverside, IdentityKind.PHONE, "+15550100123", "Pat")
    posts.vote(idea, participant=pat)

    staff.set_suggestion_status(idea, by=cast["moderator"], status="done")
    sending.send_due(budget_seconds=30)
    (text,) = twilio_api.sent_to("+15550100123")
    assert "“A seed library”, which you voted for, is now done." in text.body
    assert text.body.startswith("Riverside Public Library:")
    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.state) == ("sms", DeliveryState.SENT)


def test_staff_without_a_sender_identity_send_as_the_default_sender_or_not_at_all(
    question, make_suggestion, make_participant, riverside, cast, mo_sender, smtp_sink
):
    idea = make_suggestion(question, "Board games night")
    posts.vote(idea, participant=make_participant(riverside, "Ana"))
    # The owner has no sender identity and no default is set: nothing can be queued.
    staff.set_suggestion_status(idea, by=cast["owner"], status="planned")
    assert not Notice.objects.exists()

    OutreachSettings.objects.create(workspace=riverside, default_sender=mo_sender)
    staff.set_suggestion_status(idea, by=cast["owner"], status="done")
    sending.send_due(budget_seconds=30)
    (mail,) = smtp_sink.messages()
    assert parseaddr(mail["From"])[0] == "Mo Okafor via Riverside Public Library"
    assert mail["Subject"] == "“Board games night” is done"
