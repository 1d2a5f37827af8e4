"""The community API: the same actions and roles as the staff pages, scoped to the
token's workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import TestCase

from frontdesk.community.actions import answers, photos, posts, staff
from frontdesk.community.actions.signin import participant_for
from frontdesk.community.models import FanQuestion, ModerationAction, QuestionKind, Visibility
from frontdesk.community.queries import access_question
from frontdesk.community.tests.test_photos import phone_photo
from frontdesk.core.models import IdentityKind
from frontdesk.outreach import sending
from frontdesk.outreach.actions.authoring import create_sender_identity
from frontdesk.outreach.tests.conftest import Sink, make_email_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_sink_sender(cast, riverside):
    """Mo Okafor (the moderator) sends participant updates to an SMTP sink on loopback."""
    sink = Sink()
    sink.controller.start()
    channel = make_email_channel(riverside, port=sink.port, by=cast["owner"])
    create_sender_identity(member=cast["moderator"], email_channel=channel, by=cast["owner"])
    yield sink
    sink.controller.stop()


def _post(client, path: str, body: dict):
    return client.post(path, json.dumps(body), content_type="application/json")


def _person(workspace, name: str):
    email = f"{name.lower()}@patrons.example"
    return participant_for(workspace, IdentityKind.EMAIL, email, name)


def test_moderator_asks_merges_and_announces_through_the_api(cast, api_as, riverside):
    api = api_as(cast["moderator"])
    made = _post(
        api,
        "/api/v1/community/questions",
        {"title": "Which album should be on sale?", "kind": "suggestions"},
    )
    assert made.status_code == 201, made.content
    number = made.json()["number"]
    assert made.json()["url"].endswith(f"/c/riverside/q/{number}/")
    q = access_question(riverside, number)
    sam, jo, ana = (_person(riverside, n) for n in ("Sam", "Jo", "Ana"))
    first = posts.suggest(q, participant=sam, text="Best of Talking Heads")
    dup = posts.suggest(q, participant=jo, text="Talking Heads best of")
    for person in (sam, ana):
        posts.vote(first, participant=person)
    for person in (ana, jo):
        posts.vote(dup, participant=person)

    merged = _post(api, f"/api/v1/community/suggestions/{dup.pk}/merge", {"into": first.pk})
    assert merged.status_code == 200 and merged.json()["votes"] == 3
    listed = api.get(f"/api/v1/community/questions/{number}/suggestions").json()
    assert [(s["text"], s["votes"]) for s in listed] == [("Best of Talking Heads", 3)]
    votes = api.get(f"/api/v1/community/suggestions/{first.pk}/votes").json()
    assert sorted(votes["voters"]) == ["Ana", "Jo", "Sam"]

    closed = _post(api, f"/api/v1/community/questions/{number}/close", {"suggestion": first.pk})
    assert closed.json() == {
        "credit": "Chosen by 3 of you, first suggested by Sam",
        "voter_count": 3,
        "notified": 0,  # not asked to tell anyone
        "notifying": False,
    }
    again = _post(api, f"/api/v1/community/questions/{number}/close", {"suggestion": first.pk})
    assert again.status_code in (400, 409)


def test_agent_token_is_refused_writes_and_outsider_sees_nothing(cast, api_as, riverside):
    q = staff.create_question(
        riverside, by=cast["moderator"], title="Album?", kind=QuestionKind.SUGGESTIONS
    )
    idea = posts.suggest(q, participant=_person(riverside, "Sam"), text="Best of Talking Heads")
    agent = api_as(cast["agent"])
    refused = _post(agent, f"/api/v1/community/suggestions/{idea.pk}/status", {"status": "done"})
    assert refused.status_code == 403
    outsider = api_as(cast["outsider"])
    assert outsider.get(f"/api/v1/community/questions/{q.number}").status_code == 404
    assert outsider.get(f"/api/v1/community/suggestions/{idea.pk}/votes").status_code == 404
    assert outsider.get("/api/v1/community/questions").json() == []


def test_moderation_queue_through_the_api(cast, api_as, riverside):
    q = staff.create_question(
        riverside, by=cast["moderator"], title="Album?", kind=QuestionKind.SUGGESTIONS
    )
    troll = _person(riverside, "Troll")
    idea = posts.suggest(q, participant=_person(riverside, "Sam"), text="Best of Talking Heads")
    held = posts.comment(idea, participant=troll, body="shut up you stupid idiot")
    api = api_as(cast["moderator"])
    queue = api.get("/api/v1/community/moderation").json()
    assert [(row["kind"], row["id"]) for row in queue] == [("comment", held.pk)]
    assert queue[0]["reason"].startswith("Held automatically")
    banned = _post(
        api, f"/api/v1/community/moderation/comment/{held.pk}", {"decision": "ban", "days": 3}
    )
    assert banned.status_code == 204
    held.refresh_from_db()
    assert held.visibility == Visibility.REJECTED
    assert set(ModerationAction.objects.values_list("kind", flat=True)) == {"hold", "reject", "ban"}
    assert api.get("/api/v1/community/moderation").json() == []


def test_fans_answer_fans_through_the_api(cast, api_as, riverside, smtp_sink_sender):
    asked = _post(
        api_as(cast["agent"]),
        "/api/v1/community/fan-questions",
        {"title": "Can I bring my dog to the reading garden?", "body": "Asked at the desk."},
    )
    assert asked.status_code == 201, asked.content
    fq = asked.json()
    assert (fq["author"], fq["by_staff"], fq["answers"]) == ("Maya Patel", True, [])
    assert fq["url"].endswith(f"/c/riverside/ask/{fq['id']}/")
    hana = _person(riverside, "Hana")
    fan_answer = answers.answer(
        FanQuestion.objects.get(pk=fq["id"]), participant=hana, body="Yes, on a lead."
    )
    rude = answers.answer(
        FanQuestion.objects.get(pk=fq["id"]),
        participant=_person(riverside, "Troll"),
        body="Shut up, you stupid idiot.",
    )
    staff_answer = _post(
        api_as(cast["agent"]),
        f"/api/v1/community/fan-questions/{fq['id']}/answers",
        {"body": "Dogs are welcome in the garden."},
    )
    assert staff_answer.status_code == 201 and staff_answer.json()["by_staff"] is True

    refused = _post(api_as(cast["agent"]), f"/api/v1/community/answers/{fan_answer.pk}/accept", {})
    assert refused.status_code == 403
    moderator = api_as(cast["moderator"])
    accepted = _post(
        moderator,
        f"/api/v1/community/answers/{fan_answer.pk}/accept",
        {"thanks": "Thank you, Hana!"},
    )
    assert accepted.status_code == 200 and accepted.json()["accepted"] is True
    detail = moderator.get(f"/api/v1/community/fan-questions/{fq['id']}").json()
    assert [(a["author"], a["accepted"]) for a in detail["answers"]] == [
        ("Hana", True),
        ("Maya Patel", False),
    ]  # the held one is not listed
    listed = moderator.get("/api/v1/community/fan-questions").json()
    assert [(q["id"], q["answer_count"], q["answered"]) for q in listed] == [(fq["id"], 2, True)]
    queue = moderator.get("/api/v1/community/moderation").json()
    assert [(row["kind"], row["id"]) for row in queue] == [("answer", rude.pk)]
    assert (
        _post(
            moderator, f"/api/v1/community/moderation/answer/{rude.pk}", {"decision": "reject"}
        ).status_code
        == 204
    )
    sending.send_due(budget_seconds=30)
    (thanked,) = smtp_sink_sender.messages()
    assert "Thank you, Hana!" in thanked.get_body(("plain",)).get_content()

    outsider = api_as(cast["outsider"])
    assert outsider.get(f"/api/v1/community/fan-questions/{fq['id']}").status_code == 404
    assert _post(outsider, f"/api/v1/community/answers/{fan_answer.pk}/accept", {}).status_code in (
        403,
        404,
    )
    assert outsider.get("/api/v1/community/fan-questions").json() == []


def test_photos_through_the_api(cast, api_as, riverside, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    pia = _person(riverside, "Pia")
    kept, dropped = (
        photos.share_photo(pia, data=phone_photo(), caption=c, credit="Pia", consent=True)
        for c in ("Reading garden", "Someone's face")
    )
    dropped_files = [Path(dropped.image.path), Path(dropped.thumbnail.path)]
    assert api_as(cast["agent"]).get("/api/v1/community/photos").status_code == 403
    api = api_as(cast["moderator"])
    pending = api.get("/api/v1/community/photos").json()
    assert [p["id"] for p in pending] == [kept.pk, dropped.pk]
    assert "/w/riverside/community/photos/" in pending[0]["thumbnail_url"]

    published = _post(
        api, f"/api/v1/community/photos/{kept.pk}/decision", {"decision": "approve"}
    ).json()
    assert published["status"] == "approved"
    assert published["image_url"].endswith(f"/c/riverside/photos/{kept.pk}/full/")
    with TestCase.captureOnCommitCallbacks(execute=True):
        rejected = _post(
            api,
            f"/api/v1/community/photos/{dropped.pk}/decision",
            {"decision": "reject", "message": "Not without their consent."},
        ).json()
    assert (rejected["status"], rejected["image_url"], rejected["thumbnail_url"]) == (
        "rejected",
        None,
        None,
    )
    assert not any(f.exists() for f in dropped_files)
    again = _post(api, f"/api/v1/community/photos/{dropped.pk}/decision", {"decision": "approve"})
    assert again.status_code == 409
    assert [p["id"] for p in api.get("/api/v1/community/photos?status=approved").json()] == [
        kept.pk
    ]
    assert api.get("/api/v1/community/photos").json() == []
    outsider = api_as(cast["outsider"])
    assert (
        _post(
            outsider, f"/api/v1/community/photos/{kept.pk}/decision", {"decision": "reject"}
        ).status_code
        == 404
    )
    assert Path(kept.image.path).exists()


def test_flags_and_their_reasons_through_the_api(cast, api_as, riverside, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    fq = answers.ask(riverside, participant=_person(riverside, "Asker"), title="Parking?")
    reply = answers.answer(fq, participant=_person(riverside, "Replier"), body="Lot behind.")
    shared = photos.share_photo(
        _person(riverside, "Pia"), data=phone_photo(), caption="Garden", credit="Pia", consent=True
    )
    shown = photos.decide_photo(shared, by=cast["moderator"], approve=True)
    flaggers = [_person(riverside, name) for name in ("Ann", "Ben", "Cy")]
    for person in flaggers:
        posts.report(participant=person, reason=f"{person.display_name}: rude", answer=reply)
        posts.report(participant=person, reason="not ours", photo=shown)
    posts.report(participant=flaggers[0], reason="off topic", fan_question=fq)

    assert api_as(cast["agent"]).get("/api/v1/community/reports").status_code == 403
    api = api_as(cast["moderator"])
    queue = api.get("/api/v1/community/moderation").json()
    assert [(row["kind"], row["id"]) for row in queue] == [("answer", reply.pk)]
    assert queue[0]["reason"] == "Held after 3 people flagged it."
    assert [(r["reporter"], r["reason"]) for r in queue[0]["reports"]] == [
        ("Ann", "Ann: rude"),
        ("Ben", "Ben: rude"),
        ("Cy", "Cy: rude"),
    ]
    pending = api.get("/api/v1/community/photos").json()
    assert [(p["id"], p["hold_reason"], len(p["reports"])) for p in pending] == [
        (shown.pk, "Held after 3 people flagged it.", 3)
    ]
    reports = api.get("/api/v1/community/reports").json()
    assert len(reports) == 7
    assert {(r["kind"], r["id"], r["held"]) for r in reports} == {
        ("answer", reply.pk, True),
        ("photo", shown.pk, True),
        ("question", fq.pk, False),
    }
    assert reports[0]["reason"] == "off topic"  # newest first

    decided = _post(api, f"/api/v1/community/moderation/answer/{reply.pk}", {"decision": "approve"})
    assert decided.status_code == 204
    assert {r["kind"] for r in api.get("/api/v1/community/reports").json()} == {"photo", "question"}
    assert api_as(cast["outsider"]).get("/api/v1/community/reports").json() == []
