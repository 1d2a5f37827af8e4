"""Light sign-in (magic link, texted code) and the public and staff pages."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from frontdesk.community.actions import posts, signin
from frontdesk.community.actions.common import CommunityError
from frontdesk.community.models import Participant, SignInCode, Suggestion
from frontdesk.core.models import Contact, ContactIdentity

LINK = re.compile(r"https?://\S+/signin/link/\S+/")


def _ask_for_link(client: Client, slug: str, email: str, name: str = "Sam Rivera") -> str:
    mail.outbox.clear()
    page = client.post(
        reverse("community_public:signin", args=[slug]), {"display_name": name, "email": email}
    )
    assert page.status_code == 200
    assert "Check your email" in page.content.decode()
    (message,) = mail.outbox
    return LINK.search(message.body).group(0)


def test_magic_link_signs_in_once_and_merges_into_the_contact(client, riverside, cast):
    existing = Contact.objects.create(workspace=riverside, name="Sam Rivera")
    ContactIdentity.objects.create(
        workspace=riverside, contact=existing, kind="email", value="sam@patrons.example"
    )
    link = _ask_for_link(client, riverside.slug, "Sam@Patrons.example")
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200  # a mail scanner's GET uses nothing
    response = client.post("/" + path)
    assert response.status_code == 302
    participant = Participant.objects.get(workspace=riverside)
    assert participant.contact_id == existing.pk  # the identity found its contact
    assert ContactIdentity.objects.get(contact=existing).verified
    home = client.get(reverse("community_public:home", args=[riverside.slug]))
    assert "Hi, <strong>Sam Rivera</strong>" in home.content.decode()

    replay = Client().post("/" + path)
    assert replay.status_code == 400
    assert "already been used" in replay.content.decode()


def test_forged_or_foreign_links_are_refused(riverside, cast):
    with pytest.raises(CommunityError, match="not valid"):
        signin.finish_email_sign_in(riverside, token="1:abc:forged")
    hillview = cast["outsider"].workspace
    row_link: list[str] = []
    signin.start_email_sign_in(
        hillview, email="x@patrons.example", display_name="X", link_for=row_link.append
    )
    with pytest.raises(CommunityError, match="another community"):
        signin.finish_email_sign_in(riverside, token=row_link[0])


def test_texted_code_signs_in_with_limited_guesses(riverside, make_sms_channel, twilio_api):
    make_sms_channel()
    row = signin.start_sms_sign_in(riverside, phone="(555) 010-0199", display_name="Pat")
    (sent,) = twilio_api.sent_to("+15550100199")
    code = re.search(r"\b(\d{6})\b", sent.body).group(1)
    assert row.address == "+15550100199"
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(signin.MAX_ATTEMPTS):
        with pytest.raises(CommunityError, match="not right"):
            signin.finish_sms_sign_in(riverside, phone="555 010 0199", code=wrong)
    with pytest.raises(CommunityError, match="expired"):  # out of guesses: even the right one
        signin.finish_sms_sign_in(riverside, phone="555 010 0199", code=code)
    signin.start_sms_sign_in(riverside, phone="(555) 010-0199", display_name="Pat")
    code = re.search(r"\b(\d{6})\b", twilio_api.sent_to("+15550100199")[-1].body).group(1)
    participant = signin.finish_sms_sign_in(riverside, phone="555 010 0199", code=code)
    assert participant.display_name == "Pat"
    assert SignInCode.objects.filter(used_at__isnull=False).count() == 1
    with pytest.raises(CommunityError):
        signin.finish_sms_sign_in(riverside, phone="555 010 0199", code=code)


def test_code_is_texted_by_the_worker_when_the_provider_is_this_server(
    riverside, make_sms_channel, twilio_api, settings, django_capture_on_commit_callbacks
):
    """The demo's Twilio stand-in is served by Frontdesk itself: the web request must
    not wait on a request to its own server, so the worker sends the code."""
    make_sms_channel()
    settings.PUBLIC_BASE_URL = twilio_api.base_url  # the provider answers at our address
    with django_capture_on_commit_callbacks() as at_commit:
        row = signin.start_sms_sign_in(riverside, phone="(555) 010-0199", display_name="Pat")
    assert twilio_api.sent_to("+15550100199") == []  # not from the request
    assert len(at_commit) == 1
    at_commit[0]()  # the commit: the worker's task (immediate in tests) texts it
    (sent,) = twilio_api.sent_to("+15550100199")
    code = re.search(r"\b(\d{6})\b", sent.body).group(1)
    participant = signin.finish_sms_sign_in(riverside, phone=row.address, code=code)
    assert participant.display_name == "Pat"


def test_public_question_page_reads_without_sign_in_and_offers_similar(
    client, riverside, question, make_suggestion, make_participant
):
    make_suggestion(question, "Best of Talking Heads")
    url = reverse("community_public:question", args=[riverside.slug, question.number])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert question.title.split("?")[0] in body and "Best of Talking Heads" in body
    assert "Join in to suggest and vote" in body

    fan = make_participant(riverside, "Fan")
    session = client.session
    session["community_participant"] = {str(riverside.pk): fan.pk}
    session.save()
    suggest = reverse("community_public:suggest", args=[riverside.slug, question.number])
    offered = client.post(suggest, {"text": "The best of the Talking Heads"})
    assert "already suggested — vote for it instead?" in offered.content.decode()
    assert Suggestion.objects.count() == 1
    posted = client.post(suggest, {"text": "The best of the Talking Heads", "confirm": "True"})
    assert posted.status_code == 302
    assert Suggestion.objects.count() == 2


def test_honeypot_stores_nothing(client, riverside, question, make_participant):
    fan = make_participant(riverside, "Bot")
    session = client.session
    session["community_participant"] = {str(riverside.pk): fan.pk}
    session.save()
    client.post(
        reverse("community_public:suggest", args=[riverside.slug, question.number]),
        {"text": "Buy now", "website": "http://spam.example"},
    )
    assert not Suggestion.objects.exists()


def test_embed_page_can_be_framed_and_others_cannot(client, riverside, question):
    embed = client.get(reverse("community_public:embed", args=[riverside.slug, question.number]))
    assert embed.status_code == 200 and "X-Frame-Options" not in embed
    assert b"community-embed.js" in embed.content
    page = client.get(reverse("community_public:question", args=[riverside.slug, question.number]))
    assert page["X-Frame-Options"] == "DENY"


def test_staff_pages_for_a_moderator_and_refusals(
    client_for, cast, riverside, question, make_suggestion
):
    idea = make_suggestion(question, "Best of Talking Heads")
    moderator = client_for(cast["moderator"])
    for name, kwargs in [
        ("community:index", {}),
        ("community:question", {"number": question.number}),
        ("community:queue", {}),
        ("community:contributors", {}),
    ]:
        assert (
            moderator.get(reverse(name, kwargs={"ws": riverside.slug, **kwargs})).status_code == 200
        )
    agent = client_for(cast["agent"])
    refused = agent.post(
        reverse("community:status", kwargs={"ws": riverside.slug, "pk": idea.pk}),
        {"status": "planned"},
    )
    assert refused.status_code == 403
    idea.refresh_from_db()
    assert idea.status == "under_review"


def test_outsider_sees_nothing_of_riverside(client_for, cast, riverside, question, make_suggestion):
    idea = make_suggestion(question, "Best of Talking Heads")
    outsider = client_for(cast["outsider"])
    hillview = cast["outsider"].workspace.slug
    assert (
        outsider.get(
            reverse("community:question", kwargs={"ws": hillview, "number": question.number})
        ).status_code
        == 404
    )
    assert (
        outsider.get(
            reverse("community:question", kwargs={"ws": riverside.slug, "number": 1})
        ).status_code
        == 404
    )
    assert (
        outsider.get(reverse("community_public:suggestion", args=[hillview, idea.pk])).status_code
        == 404
    )
    staff_page = outsider.get(reverse("community:index", kwargs={"ws": hillview}))
    assert "Best of Talking Heads" not in staff_page.content.decode()
    assert question.title not in staff_page.content.decode()
    # Votes through Hillview's public pages cannot reach Riverside's suggestion.
    posted = outsider.post(reverse("community_public:vote", args=[hillview, idea.pk]))
    assert posted.status_code == 404
    assert not posts.Vote.objects.exists()
