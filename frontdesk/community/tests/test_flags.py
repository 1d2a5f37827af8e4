""" "Flag this" on fan questions, answers and photos, like on suggestions and comments:
three different people's reports take a published item off the public pages into
the review queue (one person's repeat counts once), the queue shows the reports'
reasons, and a moderator's decision closes the reports."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontdesk.community.actions import answers, moderation, photos, posts
from frontdesk.community.models import ModerationAction, Photo, Report, Visibility
from frontdesk.community.queries import (
    approved_photos,
    fan_questions,
    pending_photos,
    published_answers,
)
from frontdesk.community.tests.test_photos import phone_photo


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def fan_thread(riverside, make_participant):
    asker = make_participant(riverside, "Asker")
    fq = answers.ask(riverside, participant=asker, title="Is the jazz night good for kids?")
    reply = answers.answer(
        fq, participant=make_participant(riverside, "Replier"), body="Yes, the early set."
    )
    return fq, reply


@pytest.fixture
def published_photo(riverside, cast, make_participant):
    shared = photos.share_photo(
        make_participant(riverside, "Pia"),
        data=phone_photo(),
        caption="Reading garden",
        credit="Pia",
        consent=True,
    )
    return photos.decide_photo(shared, by=cast["moderator"], approve=True)


def _sign_in(client, workspace, participant):
    session = client.session
    session["community_participant"] = {str(workspace.pk): participant.pk}
    session.save()
    return client


@pytest.mark.parametrize("kind", ["fan_question", "answer", "photo"])
def test_three_people_hold_a_published_item_and_a_repeat_counts_once(
    kind, fan_thread, published_photo, riverside, make_participant
):
    fq, reply = fan_thread
    item = {"fan_question": fq, "answer": reply, "photo": published_photo}[kind]
    first = make_participant(riverside, "F0")
    posts.report(participant=first, reason="Spam or advertising", **{kind: item})
    again = posts.report(participant=first, reason="Something else", **{kind: item})
    assert again.reason == "Spam or advertising"  # the first report stands, counted once
    posts.report(participant=make_participant(riverside, "F1"), reason="rude", **{kind: item})
    item.refresh_from_db()
    if kind == "photo":
        assert item.status == Photo.Status.APPROVED
    else:
        assert item.visibility == Visibility.PUBLISHED
    assert Report.objects.filter(**{kind: item}).count() == 2

    posts.report(participant=make_participant(riverside, "F2"), reason="rude", **{kind: item})
    item.refresh_from_db()
    assert item.hold_reason == "Held after 3 people flagged it."
    if kind == "photo":
        assert item.status == Photo.Status.PENDING
        assert list(approved_photos(riverside)) == []
        assert [p.pk for p in pending_photos(riverside)] == [item.pk]
    else:
        assert item.visibility == Visibility.HELD
    assert list(published_answers(fq)) == ([] if kind == "answer" else [reply])
    assert [q.pk for q in fan_questions(riverside)] == ([] if kind == "fan_question" else [fq.pk])
    hold = ModerationAction.objects.get(kind=ModerationAction.Kind.HOLD)
    assert hold.moderator is None and "Held after 3 people flagged it." in hold.note


def test_a_moderators_decision_closes_the_reports(
    fan_thread, published_photo, riverside, cast, make_participant
):
    _fq, reply = fan_thread
    people = [make_participant(riverside, f"F{i}") for i in range(3)]
    for person in people:
        posts.report(participant=person, reason="rude", answer=reply)
        posts.report(participant=person, reason="not ours", photo=published_photo)
    moderation.approve(reply, by=cast["moderator"])
    published_photo.refresh_from_db()
    photos.decide_photo(published_photo, by=cast["moderator"], approve=True)
    assert not Report.objects.filter(resolved_at__isnull=True).exists()
    reply.refresh_from_db()
    published_photo.refresh_from_db()
    assert reply.visibility == Visibility.PUBLISHED
    assert published_photo.status == Photo.Status.APPROVED
    # A new person's flag after the decision counts afresh (one open report).
    posts.report(participant=make_participant(riverside, "F9"), reason="rude", answer=reply)
    reply.refresh_from_db()
    assert reply.visibility == Visibility.PUBLISHED


def test_a_report_names_exactly_one_item(fan_thread, riverside, make_participant):
    fq, reply = fan_thread
    person = make_participant(riverside, "F0")
    with pytest.raises(posts.CommunityError):
        posts.report(participant=person, reason="x", fan_question=fq, answer=reply)
    with pytest.raises(posts.CommunityError):
        posts.report(participant=person, reason="x")
    assert not Report.objects.exists()


def test_flag_pages_plain_post_and_htmx(
    client, fan_thread, published_photo, riverside, make_participant
):
    fq, reply = fan_thread
    flag = reverse("community_public:flag", args=[riverside.slug])
    page = reverse("community_public:fan-question", args=[riverside.slug, fq.pk])
    # Not signed in: no flag buttons, and a flag post goes to sign-in, storing nothing.
    assert "Flag this" not in client.get(page).content.decode()
    assert client.post(flag, {"answer": reply.pk, "reason": "Spam or advertising"})[
        "Location"
    ].endswith(f"/c/{riverside.slug}/signin/")
    assert not Report.objects.exists()

    _sign_in(client, riverside, make_participant(riverside, "Fran"))
    html = client.get(page).content.decode()
    assert f'name="question" value="{fq.pk}"' in html
    assert f'name="answer" value="{reply.pk}"' in html
    plain = client.post(
        flag, {"answer": reply.pk, "reason": "Spam or advertising", "more": "  links   to pills "}
    )
    assert plain.status_code == 302 and plain["Location"] == page
    assert "A moderator will look at it" in client.get(page).content.decode()
    assert Report.objects.get(answer=reply).reason == "Spam or advertising: links to pills"

    photos_page = reverse("community_public:photos", args=[riverside.slug])
    assert f'name="photo" value="{published_photo.pk}"' in client.get(photos_page).content.decode()
    fragment = client.post(
        flag,
        {"photo": published_photo.pk, "reason": "made up reason"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert f'id="flag-photo-{published_photo.pk}"' in text and "Thank you" in text
    assert "<html" not in text
    # A reason not on the list is stored as the catch-all one.
    assert Report.objects.get(photo=published_photo).reason == "Something else"

    client.post(flag, {"question": fq.pk, "reason": "Not about the library"})
    assert Report.objects.get(fan_question=fq).reason == "Not about the library"


def test_flags_reach_only_published_items_of_this_community(
    client, fan_thread, riverside, cast, make_participant
):
    fq, reply = fan_thread
    _sign_in(client, riverside, make_participant(riverside, "Fran"))
    flag = reverse("community_public:flag", args=[riverside.slug])
    pending = photos.share_photo(
        make_participant(riverside, "Pia"), data=phone_photo(), caption="", credit="P", consent=True
    )
    moderation.reject(reply, by=cast["moderator"])
    assert client.post(flag, {"photo": pending.pk, "reason": "rude"}).status_code == 404
    assert client.post(flag, {"answer": reply.pk, "reason": "rude"}).status_code == 404
    assert client.post(flag, {"nothing": "1"}).status_code == 404
    hillview = cast["outsider"].workspace.slug
    other = reverse("community_public:flag", args=[hillview])
    assert client.post(other, {"question": fq.pk, "reason": "rude"}).status_code == 404
    assert not Report.objects.exists()


def test_review_queue_shows_the_reports_reasons(
    client_for, fan_thread, published_photo, riverside, cast, make_participant
):
    _fq, reply = fan_thread
    reasons = ["Rude, abusive or hateful", "Spam or advertising", "Something else: odd"]
    for i, reason in enumerate(reasons):
        person = make_participant(riverside, f"Flagger {i}")
        posts.report(participant=person, reason=reason, answer=reply)
        posts.report(participant=person, reason=f"photo {reason}", photo=published_photo)
    queue = client_for(cast["moderator"]).get(
        reverse("community:queue", kwargs={"ws": riverside.slug})
    )
    html = queue.content.decode()
    assert f'id="held-answer-{reply.pk}"' in html
    assert f'id="photo-{published_photo.pk}"' in html
    assert html.count("Flagged by 3 people") == 2
    for i, reason in enumerate(reasons):
        assert f"<strong>Flagger {i}</strong>: {reason}" in html
        assert f"<strong>Flagger {i}</strong>: photo {reason}" in html
    assert html.count("Held after 3 people flagged it.") >= 2
