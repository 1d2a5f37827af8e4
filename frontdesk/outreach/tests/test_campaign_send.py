"""A campaign sent to a real SMTP server on loopback, read back from the bytes it got;
a reply fed through the email channel's real inbound path."""

from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import urlsplit

import pytest

from frontdesk.channels.email.receive import receive_raw
from frontdesk.channels.email.tests.conftest import write_mail
from frontdesk.core.errors import NotAllowed
from frontdesk.inbox import intake
from frontdesk.inbox.models import Conversation
from frontdesk.outreach import sending
from frontdesk.outreach.actions.campaigns import (
    create_campaign,
    pause_campaign,
    resume_campaign,
    start_campaign,
)
from frontdesk.outreach.models import (
    CampaignStatus,
    Delivery,
    DeliveryState,
    OutreachSettings,
    Suppression,
)

pytestmark = pytest.mark.django_db


def _send_all() -> None:
    _sent, more = sending.send_due(budget_seconds=60)
    assert not more


def _campaign(cast, maya_sender, welcome, **kwargs):
    campaign = create_campaign(
        name="Welcome", sender=maya_sender, template=welcome, by=cast["agent"], **kwargs
    )
    start_campaign(campaign, by=cast["agent"])
    return campaign


def test_campaign_mail_names_the_person_routes_replies_and_offers_one_click_unsubscribe(
    cast, riverside, maya_sender, welcome, make_contact, smtp_sink
):
    OutreachSettings.objects.create(
        workspace=riverside, physical_address="12 River Road\nRiverside, OR 97000"
    )
    grace = make_contact("Grace Hopper", "grace@example.org", branch="Eastside")
    make_contact("", "anon@example.org")
    make_contact("Ada <Lovelace>", "ada@example.org", branch="Main & Co")
    make_contact("Zoë Ångström", "zoe@example.org", branch="Café Ünter den Linden. Ja")
    campaign = _campaign(cast, maya_sender, welcome)
    _send_all()

    assert len(smtp_sink.received) == 4
    by_to = {parseaddr(m["To"])[1]: m for m in smtp_sink.messages()}
    mail = by_to["grace@example.org"]
    delivery = Delivery.objects.get(campaign=campaign, contact=grace)
    assert delivery.state == DeliveryState.SENT and delivery.confirmed

    # From: the person, via the library, at the channel's verified address.
    assert parseaddr(mail["From"]) == (
        "Maya Patel via Riverside Public Library",
        "desk@riverside.example",
    )
    # Reply-To: the channel address with this delivery's signed reply code.
    reply_to = parseaddr(mail["Reply-To"])[1]
    assert reply_to.startswith(f"desk+o{delivery.pk}-") and reply_to.endswith("@riverside.example")
    # Message-ID: the idempotency key, the same on every try.
    assert mail["Message-ID"] == f"<fd-c{campaign.pk}-p{grace.pk}@riverside.example>"
    assert delivery.provider_message_id == mail["Message-ID"]
    # RFC 8058 one-click unsubscribe (https + mailto).
    unsubscribe = mail["List-Unsubscribe"]
    assert "<mailto:desk@riverside.example?subject=unsubscribe>" in unsubscribe
    url = unsubscribe.split("<", 1)[1].split(">", 1)[0]
    assert url.startswith("http") and "/o/unsubscribe/" in url
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Bodies: personalised HTML and generated text, signature, footer with the address.
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = mail.get_body(("html",)).get_content()
    assert mail["Subject"] == "Welcome to the library, Grace!"
    assert "Hi Grace," in text and "Your home branch is Eastside." in text
    assert "<p>Hi Grace,</p>" in html and "<b>Eastside</b>" in html
    assert "-- \nMaya Patel\nYouth Services Librarian" in text
    assert url in text and "12 River Road" in text and "12 River Road" in html
    # Defaults for missing fields, and values escaped in HTML only.
    anon = by_to["anon@example.org"]
    assert anon["Subject"] == "Welcome to the library, friend!"
    assert "Hi there," in anon.get_body(("plain",)).get_content()
    ada = by_to["ada@example.org"]
    assert "<p>Hi Ada,</p>" in ada.get_body(("html",)).get_content()
    assert "<b>Main &amp; Co</b>" in ada.get_body(("html",)).get_content()
    assert "Your home branch is Main & Co." in ada.get_body(("plain",)).get_content()

    # Non-ASCII names and fields survive the trip (encoded words, quoted-printable).
    zoe = by_to["zoe@example.org"]
    assert zoe["Subject"] == "Welcome to the library, Zoë!"
    assert parseaddr(zoe["To"]) == ("Zoë Ångström", "zoe@example.org")
    assert (
        "Your home branch is Café Ünter den Linden. Ja." in zoe.get_body(("plain",)).get_content()
    )
    assert "<p>Hi Zoë,</p>" in zoe.get_body(("html",)).get_content()

    # The campaign is done once nothing is left to send.
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE

    # Grace answers from her mail client: it lands in the inbox as a conversation
    # assigned to Maya, linked to the delivery (and so the campaign).
    raw = write_mail(
        sender="Grace Hopper <grace@example.org>",
        to=mail["Reply-To"],
        subject="Re: " + mail["Subject"],
        body="Thank you! Do you have large-print books?\n",
        in_reply_to=mail["Message-ID"],
        references=mail["Message-ID"],
    )
    stored = receive_raw(
        maya_sender.email_channel, raw, via="smtpd", envelope_recipients=[reply_to]
    )
    intake._process_batch(intake.claim_inbound_events(limit=10))
    delivery.refresh_from_db()
    conversation = Conversation.objects.get(pk=delivery.reply_conversation_id)
    assert conversation.assignee == cast["agent"]
    assert conversation.contact == grace
    assert conversation.messages.get().body.startswith("Thank you! Do you have large-print")
    assert conversation.messages.get().inbound_event_id == stored.event_id


def test_reply_by_message_id_alone_counts_only_from_the_recipient(
    cast, maya_sender, welcome, make_contact, smtp_sink
):
    grace = make_contact("Grace Hopper", "grace@example.org")
    campaign = _campaign(cast, maya_sender, welcome)
    _send_all()
    [mail] = smtp_sink.messages()
    # A stranger quoting the Message-ID (no reply code) does not reach Maya.
    raw = write_mail(
        sender="Mallory <mallory@example.net>",
        subject="Re: welcome",
        in_reply_to=mail["Message-ID"],
    )
    receive_raw(maya_sender.email_channel, raw, via="smtpd")
    intake._process_batch(intake.claim_inbound_events(limit=10))
    stranger = Conversation.objects.get(contact__identities__value="mallory@example.net")
    assert stranger.assignee is None
    # Grace's reply with only In-Reply-To (a client that dropped Reply-To) does.
    raw = write_mail(subject="Re: welcome", in_reply_to=mail["Message-ID"])
    receive_raw(maya_sender.email_channel, raw, via="smtpd")
    intake._process_batch(intake.claim_inbound_events(limit=10))
    delivery = Delivery.objects.get(campaign=campaign, contact=grace)
    assert delivery.reply_conversation is not None
    assert delivery.reply_conversation.assignee == cast["agent"]


def test_one_click_unsubscribe_suppresses_the_address_for_the_next_campaign(
    cast, maya_sender, welcome, make_contact, smtp_sink, client
):
    make_contact("Grace Hopper", "grace@example.org")
    make_contact("Alan Turing", "alan@example.org")
    _campaign(cast, maya_sender, welcome)
    _send_all()
    grace_mail = next(m for m in smtp_sink.messages() if "grace" in m["To"])
    url = grace_mail["List-Unsubscribe"].split("<", 1)[1].split(">", 1)[0]
    path = urlsplit(url).path
    # A GET (a link scanner) changes nothing.
    assert client.get(path).status_code == 200
    assert not Suppression.objects.exists()
    # RFC 8058: the mail client's POST, no cookies, no CSRF token.
    response = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert b"unsubscribed" in response.content
    assert Suppression.objects.get().address == "grace@example.org"
    # A tampered token is refused.
    assert client.post(path[:-3] + "xx/").status_code == 404

    smtp_sink.received.clear()
    second = _campaign(cast, maya_sender, welcome)
    _send_all()
    assert [m["To"] for m in smtp_sink.messages()] == ["Alan Turing <alan@example.org>"]
    assert Delivery.objects.get(campaign=second, address="grace@example.org").state == (
        DeliveryState.SUPPRESSED
    )


def test_expired_unsubscribe_link_says_so(
    cast, maya_sender, welcome, make_contact, smtp_sink, client, monkeypatch
):
    from datetime import timedelta

    from frontdesk.outreach import tokens

    make_contact("Grace Hopper", "grace@example.org")
    _campaign(cast, maya_sender, welcome)
    _send_all()
    url = smtp_sink.messages()[0]["List-Unsubscribe"].split("<", 1)[1].split(">", 1)[0]
    monkeypatch.setitem(tokens.LIFETIMES, "unsubscribe", timedelta(seconds=-1))
    response = client.post(urlsplit(url).path)
    assert response.status_code == 410
    assert not Suppression.objects.exists()


def test_paused_campaign_sends_nothing_until_resumed(
    cast, maya_sender, welcome, make_contact, smtp_sink
):
    for n in range(5):
        make_contact(f"Reader {n}", f"reader{n}@example.org")
    campaign = create_campaign(name="W", sender=maya_sender, template=welcome, by=cast["agent"])
    start_campaign(campaign, by=cast["agent"])
    pause_campaign(campaign, by=cast["agent"])
    _send_all()
    assert smtp_sink.received == []
    resume_campaign(campaign, by=cast["agent"])
    _send_all()
    assert len(smtp_sink.received) == 5


def test_revoked_email_consent_is_respected(cast, maya_sender, welcome, make_contact, smtp_sink):
    from frontdesk.core.actions.contacts import set_consent

    grace = make_contact("Grace Hopper", "grace@example.org")
    campaign = create_campaign(name="W", sender=maya_sender, template=welcome, by=cast["agent"])
    start_campaign(campaign, by=cast["agent"])
    # Revoked after the audience was fixed, before sending: checked at send time.
    set_consent(grace, topic="email", status="revoked", source="test", by=cast["agent"])
    _send_all()
    assert smtp_sink.received == []
    assert Delivery.objects.get().state == DeliveryState.SUPPRESSED


def test_another_workspace_cannot_use_or_see_riverside_outreach(
    cast, maya_sender, welcome, make_contact
):
    make_contact("Grace Hopper", "grace@example.org")
    with pytest.raises(NotAllowed):
        create_campaign(name="x", sender=maya_sender, template=welcome, by=cast["outsider"])
    campaign = _campaign(cast, maya_sender, welcome)
    with pytest.raises(NotAllowed):
        pause_campaign(campaign, by=cast["outsider"])
    outsider_ws = cast["outsider"].workspace
    assert not Delivery.objects.for_workspace(outsider_ws).exists()
    assert Delivery.objects.for_workspace(maya_sender.workspace).count() == 1
