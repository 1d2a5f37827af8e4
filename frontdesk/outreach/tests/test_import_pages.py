"""The import pages: upload, map the columns, the dry run's report, the import with
its progress fragment, and refusals (roles, other workspaces)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from frontdesk.core.models import Contact, ContactIdentity
from frontdesk.outreach import sending
from frontdesk.outreach.actions.authoring import create_template
from frontdesk.outreach.actions.imports import upload_import
from frontdesk.outreach.models import ImportRun, Notice

pytestmark = pytest.mark.django_db

BASE = "/w/riverside/outreach/imports"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes(), "text/csv")


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_upload_map_dry_run_then_import_contacts_through_the_pages(
    cast, riverside, client_for, django_capture_on_commit_callbacks
):
    client = client_for(cast["agent"])
    page = client.get(BASE + "/")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.content.decode()
    response = client.post(BASE + "/", {"kind": "contacts", "file": _file("contacts.csv")})
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert response["Location"] == f"{BASE}/{run.pk}/"
    mapping_page = _text(client.get(response["Location"]))
    assert "Map the columns" in mapping_page
    assert '<option value="consent.email" selected>Consent: email</option>' in mapping_page

    form = {f"map-{i}": run.mapping[c] for i, c in enumerate(run.columns)}
    with django_capture_on_commit_callbacks(execute=True):
        checked = client.post(f"{BASE}/{run.pk}/", form)
    assert checked.status_code == 302
    assert Contact.objects.filter(workspace=riverside).count() == 0
    report = _text(client.get(f"{BASE}/{run.pk}/"))
    assert "Dry run: what the import will do" in report
    assert '<div class="stat-value" id="count-created">3</div>' in report
    assert '<div class="stat-value" id="count-invalid">5</div>' in report
    assert '<td class="num">4</td><td>Bad email address “not-an-email”.</td>' in report
    assert "Import 3 rows" in report

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"{BASE}/{run.pk}/start/")
    assert started.status_code == 302
    assert Contact.objects.filter(workspace=riverside).count() == 3
    fragment = _text(client.get(f"{BASE}/{run.pk}/progress/"))
    assert 'data-status="done"' in fragment
    assert 'value="100"' in fragment
    assert "hx-trigger" not in fragment  # finished: no more polling
    listing = _text(client.get(BASE + "/"))
    assert "contacts.csv" in listing and "Imported" in listing


def test_progress_fragment_polls_while_busy(cast, riverside, client_for):
    run = upload_import(riverside, kind="contacts", upload=_file("contacts.csv"), by=cast["agent"])
    ImportRun.objects.filter(pk=run.pk).update(status="importing", total=8, processed=4)
    fragment = _text(client_for(cast["agent"]).get(f"{BASE}/{run.pk}/progress/"))
    assert 'hx-trigger="every 1s"' in fragment
    assert '<progress id="import-progress" max="100" value="50"' in fragment
    assert "4 of 8 rows read" in fragment


def test_a_mapping_problem_is_shown_on_the_page_and_nothing_runs(cast, riverside, client_for):
    client = client_for(cast["agent"])
    client.post(BASE + "/", {"kind": "contacts", "file": _file("contacts.csv")})
    run = ImportRun.objects.get()
    response = client.post(f"{BASE}/{run.pk}/", {"map-0": "name"})
    assert response.status_code == 400
    assert "Map a column to the email address or the phone number." in _text(response)
    run.refresh_from_db()
    assert run.status == "uploaded"


def test_an_unreadable_upload_is_a_form_error(cast, client_for):
    client = client_for(cast["agent"])
    bad = SimpleUploadedFile("x.csv", b"\x00\x00PK\x03", "text/csv")
    response = client.post(BASE + "/", {"kind": "contacts", "file": bad})
    assert response.status_code == 400
    assert "NUL bytes" in _text(response)
    assert not ImportRun.objects.exists()


def test_notice_import_through_the_pages_sends_each_hold_once(
    cast, riverside, client_for, maya_sender, smtp_sink, django_capture_on_commit_callbacks
):
    from frontdesk.core.actions.contacts import create_contact

    create_contact(riverside, name="Grace", identities=[("email", "grace@example.org")], by=None)
    template = create_template(
        riverside.pk,
        name="Hold ready",
        subject="Ready: {{ item.title }}",
        html="<p>{{ item.title }} at {{ item.pickup_branch }}</p>",
        by=cast["agent"],
    )
    client = client_for(cast["agent"])
    client.post(BASE + "/", {"kind": "notices", "file": _file("holds.csv")})
    run = ImportRun.objects.get()
    page = _text(client.get(f"{BASE}/{run.pk}/"))
    assert "The library system&#x27;s id (hold, loan)" in page
    form = {f"map-{i}": run.mapping[c] for i, c in enumerate(run.columns)}
    form |= {"template": template.pk, "sender": maya_sender.pk, "create_contacts": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{BASE}/{run.pk}/", form).status_code == 302
    assert "Send 3 notices" in _text(client.get(f"{BASE}/{run.pk}/"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{BASE}/{run.pk}/start/")
    sending.send_due(budget_seconds=30)
    assert sorted(m["Subject"] for m in smtp_sink.messages()) == [
        "Ready: Beloved",
        "Ready: Dune",
        "Ready: Kindred",
    ]
    assert Notice.objects.filter(source="import").count() == 3
    # A second start of the same import is refused; nothing more is sent.
    assert client.post(f"{BASE}/{run.pk}/start/").status_code in (302, 400, 409)
    sending.send_due(budget_seconds=30)
    assert len(smtp_sink.received) == 3


def test_roles_and_other_workspaces(cast, riverside, client_for, client):
    run = upload_import(riverside, kind="contacts", upload=_file("contacts.csv"), by=cast["agent"])
    moderator = client_for(cast["moderator"])
    assert moderator.get(BASE + "/").status_code == 200  # may look
    refused = moderator.post(BASE + "/", {"kind": "contacts", "file": _file("contacts.csv")})
    assert refused.status_code == 403
    assert moderator.post(f"{BASE}/{run.pk}/", {"map-1": "email"}).status_code == 403
    assert moderator.post(f"{BASE}/{run.pk}/start/").status_code == 403
    client.force_login(cast["outsider"].user)
    assert client.get(f"{BASE}/{run.pk}/").status_code == 404
    assert client.get(f"/w/hillview/outreach/imports/{run.pk}/").status_code == 404
    assert client.post(f"/w/hillview/outreach/imports/{run.pk}/start/").status_code == 404
    assert ImportRun.objects.get().status == "uploaded"
    assert not ContactIdentity.objects.exists()


def test_the_import_list_costs_the_same_queries_however_many_runs(
    cast, riverside, client_for, django_assert_max_num_queries
):
    client = client_for(cast["agent"])
    upload_import(riverside, kind="contacts", upload=_file("contacts.csv"), by=cast["agent"])
    with django_assert_max_num_queries(12) as one:
        assert client.get(BASE + "/").status_code == 200
    for _ in range(6):
        upload_import(riverside, kind="contacts", upload=_file("contacts.csv"), by=cast["admin"])
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(BASE + "/")
    assert _text(page).count("contacts.csv") == 7
