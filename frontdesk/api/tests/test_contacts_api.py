from __future__ import annotations

import base64
import json

import pytest

from frontdesk.core.actions.contacts import create_contact
from frontdesk.core.models import ConsentChange, Contact, ContactIdentity

pytestmark = pytest.mark.django_db


def _send(client, method: str, path: str, body: dict):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def agent_api(cast, api_as):
    return api_as(cast["agent"])


def test_create_contact_stores_identities_and_consent_with_an_audit_row(cast, agent_api, riverside):
    response = _send(
        agent_api,
        "post",
        "/api/v1/contacts",
        {
            "name": "Ana López",
            "identities": [
                {"kind": "phone", "value": "(555) 010-0123"},
                {"kind": "email", "value": "Ana@Example.org"},
            ],
            "consent": {"sms": "granted"},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Ana López"
    assert body["consent"] == {"sms": "granted", "email": "unknown", "community": "unknown"}
    assert sorted(i["value"] for i in body["identities"]) == ["+15550100123", "ana@example.org"]
    contact = Contact.objects.get(pk=body["id"])
    assert contact.workspace == riverside
    assert contact.sms_consent == "granted"
    change = ConsentChange.objects.get(contact=contact)
    assert (change.topic, change.status, change.changed_by) == ("sms", "granted", cast["agent"])
    assert change.source == "API: Maya Patel"


def test_create_contact_with_a_taken_address_is_409_and_stores_nothing(riverside, agent_api):
    create_contact(riverside, name="Ben", identities=[("email", "ben@example.org")], by=None)
    response = _send(
        agent_api,
        "post",
        "/api/v1/contacts",
        {"name": "Benjamin", "identities": [{"kind": "email", "value": "BEN@example.org"}]},
    )
    assert response.status_code == 409
    assert "already belongs to Ben" in response.json()["detail"]
    assert not Contact.objects.filter(name="Benjamin").exists()


def test_create_contact_with_an_unreadable_phone_is_422_and_stores_nothing(agent_api):
    response = _send(
        agent_api,
        "post",
        "/api/v1/contacts",
        {"name": "Cy", "identities": [{"kind": "phone", "value": "call me"}]},
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "“call me” is not a phone number."}
    assert not Contact.objects.filter(name="Cy").exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "  "},
        {"name": "Di", "identities": [{"kind": "fax", "value": "1"}]},
        {"name": "Di", "consent": {"sms": "maybe"}},
    ],
)
def test_create_contact_refuses_incomplete_or_unknown_input_with_422(agent_api, body):
    response = _send(agent_api, "post", "/api/v1/contacts", body)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert not Contact.objects.exists()


def test_get_patch_and_add_identity(riverside, cast, agent_api):
    contact = create_contact(
        riverside, name="Eve", identities=[("email", "eve@example.org")], by=None
    )
    url = f"/api/v1/contacts/{contact.pk}"

    body = agent_api.get(url).json()
    assert body["display_name"] == "Eve"
    assert [i["value"] for i in body["identities"]] == ["eve@example.org"]

    response = _send(
        agent_api,
        "patch",
        url,
        {"name": "Eve Adams", "notes": "Prefers texts", "consent": {"email": "revoked"}},
    )
    assert response.status_code == 200
    contact.refresh_from_db()
    assert (contact.name, contact.notes, contact.email_consent) == (
        "Eve Adams",
        "Prefers texts",
        "revoked",
    )
    # Leaving a field out leaves it alone.
    _send(agent_api, "patch", url, {"notes": "Prefers email"})
    contact.refresh_from_db()
    assert (contact.name, contact.notes) == ("Eve Adams", "Prefers email")

    response = _send(
        agent_api, "post", f"{url}/identities", {"kind": "phone", "value": "555 010 0199"}
    )
    assert response.status_code == 201
    assert response.json()["value"] == "+15550100199"
    assert contact.identities.count() == 2


def test_adding_an_address_another_contact_owns_is_409(riverside, agent_api):
    create_contact(riverside, name="Fay", identities=[("phone", "+15550100111")], by=None)
    gus = create_contact(riverside, name="Gus", by=None)
    response = _send(
        agent_api,
        "post",
        f"/api/v1/contacts/{gus.pk}/identities",
        {"kind": "phone", "value": "+1 555 010 0111"},
    )
    assert response.status_code == 409
    assert "Merge the two contacts" in response.json()["detail"]
    assert gus.identities.count() == 0


def test_merge_moves_addresses_and_keeps_the_other_as_a_shell(riverside, agent_api):
    keep = create_contact(riverside, name="Hal", identities=[("email", "hal@example.org")], by=None)
    other = create_contact(riverside, name="", identities=[("phone", "+15550100222")], by=None)
    response = _send(agent_api, "post", f"/api/v1/contacts/{keep.pk}/merge", {"other_id": other.pk})
    assert response.status_code == 200
    assert sorted(i["value"] for i in response.json()["identities"]) == [
        "+15550100222",
        "hal@example.org",
    ]
    other.refresh_from_db()
    assert other.merged_into_id == keep.pk
    listed = agent_api.get("/api/v1/contacts").json()["items"]
    assert [c["id"] for c in listed] == [keep.pk]


def test_merging_a_contact_with_itself_is_409(riverside, agent_api):
    ivy = create_contact(riverside, name="Ivy", by=None)
    response = _send(agent_api, "post", f"/api/v1/contacts/{ivy.pk}/merge", {"other_id": ivy.pk})
    assert response.status_code == 409
    assert response.json() == {"detail": "A contact cannot be merged with itself."}


def test_search_finds_contacts_by_name_and_address(riverside, agent_api):
    create_contact(riverside, name="Jo March", identities=[("email", "jo@example.org")], by=None)
    create_contact(riverside, name="Kit", identities=[("phone", "+15550100333")], by=None)
    by_name = agent_api.get("/api/v1/contacts", {"q": "march"}).json()["items"]
    by_phone = agent_api.get("/api/v1/contacts", {"q": "0100333"}).json()["items"]
    assert [c["name"] for c in by_name] == ["Jo March"]
    assert [c["name"] for c in by_phone] == ["Kit"]


def test_pages_follow_the_next_cursor_without_gaps_or_repeats(riverside, agent_api):
    made = [create_contact(riverside, name=f"Reader {n}", by=None).pk for n in range(7)]
    seen, pages, cursor = [], [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        body = agent_api.get("/api/v1/contacts", params).json()
        pages.append(len(body["items"]))
        seen += [c["id"] for c in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert pages == [3, 3, 1]
    assert seen == sorted(made, reverse=True)  # newest first


NAIVE_CURSOR = base64.urlsafe_b64encode(b'["2025-01-01T00:00:00", 5]').decode()


@pytest.mark.parametrize(
    "params",
    [{"limit": 101}, {"limit": 0}, {"cursor": "not-a-cursor"}, {"cursor": NAIVE_CURSOR}],
)
def test_out_of_range_limit_or_foreign_cursor_is_422(agent_api, params):
    response = agent_api.get("/api/v1/contacts", params)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_list_costs_the_same_queries_however_many_contacts(
    riverside, agent_api, django_assert_max_num_queries
):
    for n in range(30):
        create_contact(
            riverside, name=f"P{n}", identities=[("email", f"p{n}@example.org")], by=None
        )
    agent_api.get("/api/v1/me")  # last_used_at is written on the first request
    with django_assert_max_num_queries(4):
        body = agent_api.get("/api/v1/contacts", {"limit": 100}).json()
    assert len(body["items"]) == 30


def test_moderator_can_read_contacts_but_not_change_them(riverside, cast, api_as):
    lee = create_contact(riverside, name="Lee", by=None)
    moderator = api_as(cast["moderator"])
    assert moderator.get(f"/api/v1/contacts/{lee.pk}").status_code == 200
    for method, path, body in [
        ("post", "/api/v1/contacts", {"name": "New"}),
        ("patch", f"/api/v1/contacts/{lee.pk}", {"name": "Changed"}),
        ("post", f"/api/v1/contacts/{lee.pk}/identities", {"kind": "email", "value": "l@x.org"}),
    ]:
        response = _send(moderator, method, path, body)
        assert response.status_code == 403
        assert response.json() == {"detail": "Your role cannot manage contacts."}
    lee.refresh_from_db()
    assert lee.name == "Lee"
    assert Contact.objects.count() == 1


def test_another_workspaces_token_sees_none_of_riversides_contacts(riverside, cast, api_as):
    ours = create_contact(
        riverside, name="Mia Riverside", identities=[("email", "mia@x.org")], by=None
    )
    hillview = cast["outsider"].workspace
    theirs = create_contact(hillview, name="Mia Hillview", by=None)
    outsider = api_as(cast["outsider"])

    for q in ["", "Mia", "mia@x.org"]:
        items = outsider.get("/api/v1/contacts", {"q": q}).json()["items"]
        assert [c["id"] for c in items] == ([] if q == "mia@x.org" else [theirs.pk])

    assert outsider.get(f"/api/v1/contacts/{ours.pk}").json() == {"detail": "Not found."}
    for method, path, body in [
        ("get", f"/api/v1/contacts/{ours.pk}", None),
        ("patch", f"/api/v1/contacts/{ours.pk}", {"name": "Stolen"}),
        ("post", f"/api/v1/contacts/{ours.pk}/identities", {"kind": "email", "value": "a@b.org"}),
        ("post", f"/api/v1/contacts/{ours.pk}/merge", {"other_id": theirs.pk}),
        ("post", f"/api/v1/contacts/{theirs.pk}/merge", {"other_id": ours.pk}),
    ]:
        response = outsider.get(path) if body is None else _send(outsider, method, path, body)
        assert response.status_code == 404, (method, path)
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.name == "Mia Riverside" and ours.merged_into_id is None
    assert theirs.merged_into_id is None
    assert list(ContactIdentity.objects.filter(contact=ours).values_list("value", flat=True)) == [
        "mia@x.org"
    ]


def test_removing_an_address_is_for_roles_that_manage_contacts(riverside, cast, api_as):
    # roles.py: agents manage contacts, moderators only read them.
    ned = create_contact(
        riverside,
        name="Ned",
        identities=[("email", "ned@x.org"), ("phone", "+15550100444")],
        by=None,
    )
    email, phone = ned.identities.order_by("kind")
    refused = api_as(cast["moderator"]).delete(f"/api/v1/contacts/{ned.pk}/identities/{email.pk}")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Your role cannot manage contacts."}
    assert ned.identities.count() == 2

    agent = api_as(cast["agent"])
    assert agent.delete(f"/api/v1/contacts/{ned.pk}/identities/{email.pk}").status_code == 204
    assert list(ned.identities.all()) == [phone]
    gone = agent.delete(f"/api/v1/contacts/{ned.pk}/identities/{email.pk}")
    assert (gone.status_code, gone.json()) == (404, {"detail": "Not found."})


def test_a_refused_merge_answers_the_error_shape_with_403(riverside, cast, api_as):
    keep = create_contact(riverside, name="Ana", by=None)
    other = create_contact(riverside, name="Ana L.", by=None)
    path = f"/api/v1/contacts/{keep.pk}/merge"
    response = _send(api_as(cast["moderator"]), "post", path, {"other_id": other.pk})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {"detail": "Your role cannot manage contacts."}
    other.refresh_from_db()
    assert other.merged_into_id is None
