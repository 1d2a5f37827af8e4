"""The community API: the same actions and roles as the staff pages, scoped to the
token's workspace."""

from __future__ import annotations

import json

import pytest

from frontdesk.community.actions import posts, staff
from frontdesk.community.actions.signin import participant_for
from frontdesk.community.models import ModerationAction, QuestionKind, Visibility
from frontdesk.community.queries import access_question
from frontdesk.core.models import IdentityKind

pytestmark = pytest.mark.django_db


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
