"""One review queue: held suggestions, comments, fan questions and answers, and photos
waiting for approval, each decided from the same page; a rejected photo's files are
deleted from storage while approved ones are still served."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from frontdesk.community.actions import answers, photos, posts
from frontdesk.community.actions.common import CommunityError
from frontdesk.community.models import ModerationAction, Photo, Visibility
from frontdesk.community.queries import published_answers
from frontdesk.community.tests.test_photos import phone_photo
from frontdesk.outreach import sending


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _share(workspace, participant, caption: str) -> Photo:
    return photos.share_photo(
        participant,
        data=phone_photo(),
        caption=caption,
        credit=participant.display_name,
        consent=True,
    )


def test_one_queue_holds_posts_of_every_kind_and_photos(
    client_for, client, cast, riverside, question, make_suggestion, make_participant
):
    rude = make_participant(riverside, "Rude")
    idea = make_suggestion(question, "Best of Talking Heads")
    held_comment = posts.comment(idea, participant=rude, body="Shut up, idiot.")
    fq = answers.ask(riverside, participant=make_participant(riverside, "Asker"), title="Parking?")
    held_answer = answers.answer(fq, participant=rude, body="Shut up, you stupid idiot.")
    held_question = answers.ask(riverside, participant=rude, title="Why are you all idiots?")
    photo = _share(riverside, make_participant(riverside, "Pia"), "Story time")
    assert (held_comment.visibility, held_answer.visibility, held_question.visibility) == (
        Visibility.HELD,
        Visibility.HELD,
        Visibility.HELD,
    )

    moderator = client_for(cast["moderator"])
    ws = riverside.slug
    page = moderator.get(reverse("community:queue", kwargs={"ws": ws})).content.decode()
    for anchor in (
        f'id="held-comment-{held_comment.pk}"',
        f'id="held-answer-{held_answer.pk}"',
        f'id="held-question-{held_question.pk}"',
        f'id="photo-{photo.pk}"',
    ):
        assert anchor in page
    index = moderator.get(reverse("community:index", kwargs={"ws": ws})).content.decode()
    assert '<span class="big-number">4</span>' in index

    edited = moderator.post(
        reverse("community:decide", kwargs={"ws": ws, "kind": "answer", "pk": held_answer.pk}),
        {"decision": "approve", "edited": "Try the lot behind the building."},
    )
    assert edited.status_code == 302
    assert [a.body for a in published_answers(fq)] == ["Try the lot behind the building."]
    moderator.post(
        reverse("community:decide", kwargs={"ws": ws, "kind": "question", "pk": held_question.pk}),
        {"decision": "ban", "days": "3", "message": "Please be civil."},
    )
    held_question.refresh_from_db()
    assert held_question.visibility == Visibility.REJECTED
    with pytest.raises(CommunityError, match="cannot post"):
        answers.ask(riverside, participant=rude, title="Let me back in")
    approved = moderator.post(
        reverse("community:photo-decide", kwargs={"ws": ws, "pk": photo.pk}),
        {"decision": "approve", "back": "queue"},
    )
    assert approved["Location"] == reverse("community:queue", kwargs={"ws": ws})
    notes = list(ModerationAction.objects.order_by("pk").values_list("kind", "note"))
    assert (
        "edit",
        "Answer “Try the lot behind the building.”: Was: Shut up, you stupid idiot.",
    ) in notes
    assert ("reject", "Question “Why are you all idiots?”: Please be civil.") in notes
    page = moderator.get(reverse("community:queue", kwargs={"ws": ws})).content.decode()
    assert f'id="held-comment-{held_comment.pk}"' in page
    assert f'id="photo-{photo.pk}"' not in page and f'id="held-answer-{held_answer.pk}"' not in page

    agent = client_for(cast["agent"])
    assert agent.get(reverse("community:queue", kwargs={"ws": ws})).status_code == 403


def test_rejected_photo_files_are_deleted_and_approved_ones_still_served(
    client_for,
    client,
    cast,
    riverside,
    make_participant,
    mo_sender,
    smtp_sink,
    django_capture_on_commit_callbacks,
):
    pia = make_participant(riverside, "Pia", "pia@patrons.example")
    kept = _share(riverside, pia, "Reading garden")
    dropped = _share(riverside, pia, "A stranger's face")
    dropped_files = [Path(dropped.image.path), Path(dropped.thumbnail.path)]
    kept_files = [Path(kept.image.path), Path(kept.thumbnail.path)]
    assert all(f.exists() for f in dropped_files + kept_files)

    moderator = client_for(cast["moderator"])
    ws = riverside.slug
    moderator.post(
        reverse("community:photo-decide", kwargs={"ws": ws, "pk": kept.pk}),
        {"decision": "approve"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        rejected = moderator.post(
            reverse("community:photo-decide", kwargs={"ws": ws, "pk": dropped.pk}),
            {
                "decision": "reject",
                "message": "We can't publish photos of people without their consent.",
            },
        )
    assert rejected.status_code == 302
    assert not any(f.exists() for f in dropped_files)
    assert all(f.exists() for f in kept_files)
    dropped.refresh_from_db()
    assert dropped.status == Photo.Status.REJECTED and not dropped.image.name
    for size in ("full", "thumb"):
        staff_url = reverse(
            "community:photo-file", kwargs={"ws": ws, "pk": dropped.pk, "size": size}
        )
        assert moderator.get(staff_url).status_code == 404
    with pytest.raises(CommunityError, match="files deleted"):
        photos.decide_photo(dropped, by=cast["moderator"], approve=True)

    client.logout()
    for size in ("full", "thumb"):
        served = client.get(reverse("community_public:photo-file", args=[ws, kept.pk, size]))
        assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
        assert b"".join(served.streaming_content)[:2] == b"\xff\xd8"
    sending.send_due(budget_seconds=30)
    (told,) = smtp_sink.messages()
    assert told["To"] == "Pia <pia@patrons.example>"
    assert "without their consent" in told.get_body(("plain",)).get_content()
