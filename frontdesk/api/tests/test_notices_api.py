"""The notices API end to end: a hold-ready notice posted with a token goes out to a
real SMTP server on loopback, once per external_id, and its delivery state reads back."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from frontdesk.core.actions.contacts import create_contact
from frontdesk.core.models import Contact, ContactIdentity
from frontdesk.outreach import sending
from frontdesk.outreach.actions.authoring import create_sender_identity, create_template
from frontdesk.outreach.models import Delivery, Notice, SenderIdentity, Template
from frontdesk.outreach.tests.conftest import Sink, make_email_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture
def sender(cast, riverside, sink) -> SenderIdentity:
    channel = make_email_channel(riverside, port=sink.port, by=cast["owner"])
    return create_sender_identity(
        member=cast["agent"], title="Branch Librarian", email_channel=channel, by=cast["owner"]
    )


@pytest.fixture
def hold_ready(cast, riverside) -> Template:
    template = create_template(
        riverside.pk,
        name="Hold ready",
        subject="Ready for you: {{ item.title }}",
        html="<p>Hi {{ contact.first_name }}, {{ item.title }} waits at {{ item.branch }}.</p>",
        by=cast["agent"],
    )
    Template.objects.filter(pk=template.pk).update(key="hold_ready")
    return template


def _post(client, body: dict):
    return client.post("/api/v1/notices", json.dumps(body), content_type="application/json")


def test_a_posted_notice_is_sent_once_and_its_delivery_state_reads_back(
    cast, riverside, api_as, sender, hold_ready, sink
):
    client = api_as(cast["agent"])
    body = {
        "template": "hold_ready",
        "sender_id": sender.pk,
        "email": "Grace@Example.org",
        "name": "Grace Hopper",
        "data": {"item": {"title": "Dune", "branch": "Eastside"}},
        "external_id": "ils-hold-77",
    }
    first = _post(client, body)
    assert first.status_code == 201, first.content
    notice = first.json()
    assert notice["external_id"] == "ils-hold-77"
    assert notice["template_key"] == "hold_ready"
    grace = Contact.objects.get(pk=notice["contact_id"])
    assert grace.workspace == riverside and grace.name == "Grace Hopper"
    sending.send_due(budget_seconds=30)  # the worker's part (on commit, outside tests)
    [mail] = sink.messages()
    assert mail["To"] == "Grace Hopper <grace@example.org>"
    assert mail["Subject"] == "Ready for you: Dune"
    assert "Hi Grace, Dune waits at Eastside." in mail.get_body(("html",)).get_content()

    again = _post(client, {**body, "data": {"item": {"title": "Other"}}})
    assert again.status_code == 200
    assert again.json()["id"] == notice["id"]
    sending.send_due(budget_seconds=30)
    assert len(sink.received) == 1
    assert Notice.objects.filter(external_id="ils-hold-77").count() == 1

    read = client.get(f"/api/v1/notices/{notice['id']}")
    assert read.status_code == 200
    delivery = read.json()["delivery"]
    assert delivery["state"] == "sent"
    assert delivery["address"] == "grace@example.org"
    assert delivery["sent_at"] is not None


def test_notice_by_contact_id_and_template_id_and_list_pages_with_a_cursor(
    cast, riverside, api_as, sender, hold_ready, sink
):
    ana = create_contact(riverside, name="Ana", identities=[("email", "ana@example.org")], by=None)
    client = api_as(cast["agent"])
    for number in range(5):
        response = _post(
            client,
            {
                "template": hold_ready.pk,
                "sender_id": sender.pk,
                "contact_id": ana.pk,
                "data": {"item": {"title": f"Book {number}", "branch": "Main"}},
                "external_id": f"h-{number}",
            },
        )
        assert response.status_code == 201, response.content
    seen: list[str] = []
    url = "/api/v1/notices?limit=2"
    while url:
        page = client.get(url).json()
        seen += [item["external_id"] for item in page["items"]]
        url = f"/api/v1/notices?limit=2&cursor={page['next']}" if page["next"] else ""
    assert seen == ["h-4", "h-3", "h-2", "h-1", "h-0"]
    only = client.get("/api/v1/notices?external_id=h-2").json()["items"]
    assert [n["external_id"] for n in only] == ["h-2"]
    assert only[0]["delivery"]["state"] == "queued"
    sending.send_due(budget_seconds=30)
    assert len(sink.received) == 5


def test_notice_refusals_send_nothing(cast, riverside, api_as, sender, hold_ready, sink):
    client = api_as(cast["agent"])
    base = {
        "template": "hold_ready",
        "sender_id": sender.pk,
        "email": "pat@example.org",
        "data": {"item": {"title": "Dune"}},
        "external_id": "x-1",
    }
    # No recipient at all; a key nobody has; data whose item is not an object.
    assert _post(client, {k: v for k, v in base.items() if k != "email"}).status_code == 422
    assert _post(client, {**base, "template": "nope"}).status_code == 422
    bad = _post(client, {**base, "data": {"item": "Dune"}})
    assert bad.status_code == 409 and "holds fields" in bad.json()["detail"]
    assert _post(client, {**base, "email": "not an address"}).status_code == 422
    # A text-message template, but the sender has no SMS channel: refused, and the
    # patron it would have gone to is not added as a contact either.
    text = create_template(
        riverside.pk,
        name="Hold ready (text)",
        kind="sms",
        sms_body="{{ item.title }}",
        by=cast["agent"],
    )
    no_sms = _post(client, {**base, "template": text.pk, "phone": "+15550100999"})
    assert no_sms.status_code == 409 and "no channel for a text message" in no_sms.json()["detail"]
    assert not ContactIdentity.objects.filter(
        value__in=["pat@example.org", "+15550100999"]
    ).exists()
    # The moderator may use the API but not send outreach.
    assert _post(api_as(cast["moderator"]), base).status_code == 403
    assert not Notice.objects.exists() and not Delivery.objects.exists()
    assert sink.received == []


def test_another_workspaces_template_sender_or_contact_is_refused(
    cast, riverside, api_as, sender, hold_ready
):
    outsider = api_as(cast["outsider"])
    hillview = cast["outsider"].workspace
    theirs = create_contact(hillview, name="H", identities=[("email", "h@example.org")], by=None)
    response = _post(
        outsider,
        {
            "template": hold_ready.pk,
            "sender_id": sender.pk,
            "contact_id": theirs.pk,
            "external_id": "cross-1",
        },
    )
    assert response.status_code == 422
    mine = api_as(cast["agent"])
    response = _post(
        mine,
        {
            "template": hold_ready.pk,
            "sender_id": sender.pk,
            "contact_id": theirs.pk,
            "external_id": "cross-2",
        },
    )
    assert response.status_code == 422
    assert "No contact" in response.json()["detail"]
    notice = _post(
        mine,
        {
            "template": hold_ready.pk,
            "sender_id": sender.pk,
            "email": "ok@example.org",
            "data": {"item": {"title": "A", "branch": "B"}},
            "external_id": "mine-1",
        },
    ).json()
    assert outsider.get(f"/api/v1/notices/{notice['id']}").status_code == 404
    assert outsider.get("/api/v1/notices").json()["items"] == []
    assert not ContactIdentity.objects.filter(workspace=hillview, value="ok@example.org").exists()


def test_the_openapi_document_describes_the_notices_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/notices"])
    assert "get" in paths["/api/v1/notices/{notice_id}"]
    post = paths["/api/v1/notices"]["post"]
    assert {"200", "201", "403", "409", "422"} <= set(post["responses"])


def test_listing_notices_costs_the_same_queries_however_many(
    cast, riverside, api_as, sender, hold_ready, django_assert_max_num_queries
):
    from frontdesk.outreach.actions.campaigns import send_notice

    ana = create_contact(riverside, name="Ana", identities=[("email", "ana@example.org")], by=None)
    client = api_as(cast["agent"])

    def notice(number: int) -> None:
        send_notice(
            sender=sender,
            template=hold_ready,
            contact=ana,
            data={"item": {"title": "T"}},
            external_id=f"q-{number}",
            by=cast["agent"],
        )

    notice(0)
    with django_assert_max_num_queries(12) as one:
        assert len(client.get("/api/v1/notices").json()["items"]) == 1
    for number in range(1, 8):
        notice(number)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get("/api/v1/notices").json()["items"]) == 8
