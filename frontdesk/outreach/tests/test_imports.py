"""CSV imports of contacts and of notice data: the dry run's report (and that it
writes nothing), the import through the actions, idempotent re-imports, encodings
and delimiters, and refusals across workspaces."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from frontdesk.core.actions.contacts import create_contact
from frontdesk.core.errors import ActionError, NotAllowed
from frontdesk.core.models import ConsentChange, Contact, ContactIdentity
from frontdesk.outreach import imports, sending
from frontdesk.outreach.actions.authoring import create_template
from frontdesk.outreach.actions.imports import check_import, start_import, upload_import
from frontdesk.outreach.models import ContactData, Delivery, ImportRun, Notice, Template

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Run what actions queue on commit (the tasks run inline in tests)."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def _upload(workspace, name: str, by, kind: str = "contacts", content: bytes | None = None):
    data = content if content is not None else (FIXTURES / name).read_bytes()
    return upload_import(
        workspace, kind=kind, upload=SimpleUploadedFile(name, data, "text/csv"), by=by
    )


def _counts(run: ImportRun) -> tuple[int, int, int, int]:
    run.refresh_from_db()
    return run.created, run.updated, run.unchanged, run.invalid


def _table_sizes() -> tuple[int, ...]:
    return (
        Contact.objects.count(),
        ContactIdentity.objects.count(),
        ConsentChange.objects.count(),
        ContactData.objects.count(),
        Notice.objects.count(),
        Delivery.objects.count(),
    )


def test_contacts_dry_run_reports_bad_rows_writes_nothing_then_imports_once(
    cast, riverside, run_tasks
):
    create_contact(riverside, name="", identities=[("email", "ben@example.org")], by=None)
    run = _upload(riverside, "contacts.csv", cast["agent"])
    assert run.columns == ["Name", "E-mail", "Mobile", "Tags", "Email consent", "Home branch"]
    assert run.mapping == {
        "Name": "name",
        "E-mail": "email",
        "Mobile": "phone",
        "Tags": "tags",
        "Email consent": "consent.email",
        "Home branch": "field",
    }
    before = _table_sizes()
    run_tasks(check_import, run, mapping=run.mapping, by=cast["agent"])
    assert _table_sizes() == before, "the dry run wrote something"
    run.refresh_from_db()
    assert run.status == "checked" and run.total == 8 and run.processed == 8
    assert _counts(run) == (2, 1, 0, 5)
    assert run.report == [
        {"row": 4, "reason": "Bad email address “not-an-email”."},
        {"row": 5, "reason": "Bad phone number: “call me” is not a phone number."},
        {"row": 6, "reason": "No email address or phone number."},
        {"row": 7, "reason": "Duplicate of row 2 (ana@example.org)."},
        {"row": 8, "reason": "“Email consent”: “maybe” is not yes or no."},
    ]

    run_tasks(start_import, run, by=cast["agent"])
    run.refresh_from_db()
    assert run.status == "done" and run.stored_name == ""
    assert _counts(run) == (2, 1, 0, 5)
    ana = ContactIdentity.objects.get(value="ana@example.org").contact
    assert ana.name == "Ana López" and ana.workspace == riverside
    assert set(ana.identities.values_list("value", flat=True)) == {
        "ana@example.org",
        "+15550100101",
    }
    assert ana.email_consent == "granted"
    change = ConsentChange.objects.get(contact=ana)
    assert (change.status, change.source, change.changed_by) == (
        "granted",
        "import contacts.csv",
        cast["agent"],
    )
    extra = ContactData.objects.get(contact=ana)
    assert extra.fields == {"home_branch": "Eastside"} and extra.tags == ["teen", "zine"]
    ben = ContactIdentity.objects.get(value="ben@example.org").contact
    assert ben.name == "Ben Okoro" and ben.email_consent == "revoked"
    gus = ContactIdentity.objects.get(value="+15550100107").contact
    assert gus.email_consent == "unknown"  # no consent column value: nothing assumed
    assert not ConsentChange.objects.filter(contact=gus).exists()

    # The same file again: everything is up to date, nothing is written.
    after = _table_sizes()
    again = _upload(riverside, "contacts.csv", cast["agent"])
    run_tasks(check_import, again, mapping=again.mapping, by=cast["agent"])
    assert _counts(again) == (0, 0, 3, 5)
    run_tasks(start_import, again, by=cast["agent"])
    assert _counts(again) == (0, 0, 3, 5)
    assert _table_sizes() == after


def test_an_opt_out_recorded_here_outlives_a_yes_in_an_old_export(cast, riverside, run_tasks):
    from frontdesk.core.actions.contacts import set_consent

    ana = create_contact(
        riverside, name="Ana López", identities=[("email", "ana@example.org")], by=None
    )
    set_consent(ana, topic="email", status="revoked", source="unsubscribe link", by=None)
    content = "Name,Email,Email consent\nAna López,ana@example.org,yes\n".encode()
    run = _upload(riverside, "old.csv", cast["agent"], content=content)
    run_tasks(check_import, run, mapping=run.mapping, by=cast["agent"])
    assert _counts(run) == (0, 0, 1, 0)
    run_tasks(start_import, run, by=cast["agent"])
    ana.refresh_from_db()
    assert ana.email_consent == "revoked"


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("semicolon-utf8.csv", "utf-8", ";"),
        ("bom-tab.csv", "utf-8-sig", "\t"),
        ("windows-1252.csv", "cp1252", ","),
    ],
)
def test_encodings_and_delimiters_are_detected(
    cast, riverside, run_tasks, name, encoding, delimiter
):
    run = _upload(riverside, name, cast["agent"])
    assert (run.encoding, run.delimiter, run.columns) == (encoding, delimiter, ["Name", "Email"])
    run_tasks(check_import, run, mapping=run.mapping, by=cast["agent"])
    run_tasks(start_import, run, by=cast["agent"])
    assert ContactIdentity.objects.get(value="zoe@example.org").contact.name == "Zoë"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        ((FIXTURES / "not-text.bin").read_bytes(), "NUL bytes"),
        (b"\n\n,,\n", "The first row must name the columns"),
        ((FIXTURES / "neither-encoding.csv").read_bytes(), "neither UTF-8 nor Windows-1252"),
    ],
)
def test_unreadable_files_are_refused_and_nothing_is_kept(
    cast, riverside, tmp_path, content, message
):
    with pytest.raises(ActionError, match=message):
        _upload(riverside, "bad.csv", cast["agent"], content=content)
    assert not ImportRun.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_mapping_without_an_address_column_is_refused(cast, riverside):
    run = _upload(riverside, "contacts.csv", cast["agent"])
    with pytest.raises(ActionError, match="email address or the phone number"):
        check_import(run, mapping={"Name": "name"}, by=cast["agent"])
    with pytest.raises(ActionError, match="Only one column"):
        check_import(
            run, mapping={"Name": "name", "E-mail": "email", "Mobile": "name"}, by=cast["agent"]
        )
    run.refresh_from_db()
    assert run.status == "uploaded"


def test_who_may_import_and_from_which_workspace(cast, riverside, maya_sender):
    with pytest.raises(NotAllowed):
        _upload(riverside, "contacts.csv", cast["moderator"])
    with pytest.raises(NotAllowed):
        _upload(riverside, "contacts.csv", cast["outsider"])
    hillview = cast["outsider"].workspace
    theirs = create_template(
        hillview.pk, name="Theirs", subject="Hi", html="<p>Hi</p>", by=cast["outsider"]
    )
    run = _upload(riverside, "holds.csv", cast["agent"], kind="notices")
    with pytest.raises(ActionError, match="another workspace"):
        check_import(
            run, mapping=run.mapping, template=theirs, sender=maya_sender, by=cast["agent"]
        )
    with pytest.raises(NotAllowed):
        check_import(run, mapping=run.mapping, by=cast["outsider"])


@pytest.fixture
def hold_ready(cast, riverside) -> Template:
    return create_template(
        riverside.pk,
        name="Hold ready",
        subject="Ready for you: {{ item.title }}",
        html="<p>Hi {{ contact.first_name }}, <i>{{ item.title }}</i> waits at "
        "{{ item.pickup_branch }} until {{ item.until }}.</p>",
        by=cast["agent"],
    )


def test_notice_import_checks_rows_sends_through_send_notice_and_never_twice(
    cast, riverside, maya_sender, hold_ready, smtp_sink, run_tasks
):
    for name, address in [("Grace Hopper", "grace@example.org"), ("Ana López", "ana@example.org")]:
        create_contact(riverside, name=name, identities=[("email", address)], by=None)
    run = _upload(riverside, "holds.csv", cast["agent"], kind="notices")
    assert (run.delimiter, run.mapping) == (
        ";",
        {
            "Hold ID": "external_id",
            "Patron email": "email",
            "Patron": "name",
            "Title": "item",
            "Pickup branch": "item",
            "Until": "item",
        },
    )
    # A template placeholder no column feeds is a missing column.
    with pytest.raises(ActionError, match=r"item\.until"):
        check_import(
            run,
            mapping={**run.mapping, "Until": ""},
            template=hold_ready,
            sender=maya_sender,
            by=cast["agent"],
        )
    before = _table_sizes()
    run_tasks(
        check_import,
        run,
        mapping=run.mapping,
        template=hold_ready,
        sender=maya_sender,
        by=cast["agent"],
    )
    assert _table_sizes() == before
    assert _counts(run) == (2, 0, 0, 4)
    assert run.report == [
        {"row": 4, "reason": "No contact with nobody@example.org."},
        {"row": 5, "reason": "Missing item.title (the template uses it)."},
        {"row": 6, "reason": "Duplicate of row 2 (H-1)."},
        {"row": 7, "reason": "No id from the library system (the id column is empty)."},
    ]
    run_tasks(start_import, run, by=cast["agent"])
    assert _counts(run) == (2, 0, 0, 4)
    sending.send_due(budget_seconds=30)
    subjects = sorted(m["Subject"] for m in smtp_sink.messages())
    assert subjects == ["Ready for you: Dune", "Ready for you: Kindred"]
    dune = Notice.objects.get(external_id="H-1")
    assert dune.source == "import"
    assert dune.data == {"item": {"title": "Dune", "pickup_branch": "Eastside", "until": "12 Dec"}}

    again = _upload(riverside, "holds.csv", cast["agent"], kind="notices")
    run_tasks(
        check_import,
        again,
        mapping=again.mapping,
        template=hold_ready,
        sender=maya_sender,
        by=cast["agent"],
    )
    run_tasks(start_import, again, by=cast["agent"])
    assert _counts(again) == (0, 0, 2, 4)
    sending.send_due(budget_seconds=30)
    assert len(smtp_sink.received) == 2
    assert Notice.objects.count() == 2


def test_notice_import_may_add_unknown_patrons_as_contacts(
    cast, riverside, maya_sender, hold_ready, smtp_sink, run_tasks
):
    run = _upload(riverside, "holds.csv", cast["agent"], kind="notices")
    run_tasks(
        check_import,
        run,
        mapping=run.mapping,
        template=hold_ready,
        sender=maya_sender,
        create_contacts=True,
        by=cast["agent"],
    )
    assert _counts(run) == (3, 0, 0, 3)
    run_tasks(start_import, run, by=cast["agent"])
    assert _counts(run) == (3, 0, 0, 3)
    nobody = ContactIdentity.objects.get(value="nobody@example.org").contact
    assert nobody.name == "No One" and nobody.workspace == riverside
    # A notice is not consent to anything else.
    assert nobody.email_consent == "unknown"


def test_a_large_file_is_read_in_chunks_with_progress(cast, riverside, run_tasks, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 7)
    lines = ["Email,Name"] + [f"p{n}@example.org,Patron {n}" for n in range(50)]
    run = _upload(riverside, "many.csv", cast["agent"], content="\n".join(lines).encode())
    seen: list[int] = []
    run_tasks(check_import, run, mapping=run.mapping, by=cast["agent"])
    assert _counts(run) == (50, 0, 0, 0)
    real_create = imports.create_in_bulk

    def counting_create(fresh, rows, by):
        seen.append(ImportRun.objects.get(pk=run.pk).processed)
        return real_create(fresh, rows, by)

    monkeypatch.setattr(imports, "create_in_bulk", counting_create)
    run_tasks(start_import, run, by=cast["agent"])
    # Each chunk committed its progress before the next began: 0, 7, 14 … 49.
    assert sorted(set(seen)) == list(range(0, 50, 7))
    assert Contact.objects.filter(workspace=riverside).count() == 50
    assert _counts(run) == (50, 0, 0, 0)


def test_an_address_taken_between_planning_and_writing_falls_back_row_by_row(
    cast, riverside, run_tasks, monkeypatch
):
    run = _upload(riverside, "contacts.csv", cast["agent"])
    run_tasks(check_import, run, mapping=run.mapping, by=cast["agent"])
    planned = imports.Planner._plan_contacts

    def plan_then_race(self, rows):
        planned(self, rows)
        # An inbound email from Ana arrives after the chunk was planned.
        create_contact(riverside, name="", identities=[("email", "ana@example.org")], by=None)

    monkeypatch.setattr(imports.Planner, "_plan_contacts", plan_then_race)
    run_tasks(start_import, run, by=cast["agent"])
    run.refresh_from_db()
    # Ana's row failed on its own (her address is someone else's now); the rest went in.
    assert _counts(run) == (2, 0, 0, 6)
    assert {
        "row": 2,
        "reason": "ana@example.org already belongs to ana@example.org. "
        "Merge the two contacts to combine them.",
    } in run.report
    assert ContactIdentity.objects.filter(value="+15550100107").exists()
    assert Contact.objects.filter(workspace=riverside).count() == 3


class WorkerKilled(BaseException):
    """The worker process dying mid-chunk (no handler of ours runs)."""


def test_an_import_whose_worker_died_resumes_after_its_last_chunk(
    cast, riverside, run_tasks, monkeypatch
):
    monkeypatch.setattr(imports, "CHUNK", 4)
    lines = ["Email,Name"] + [f"r{n}@example.org,Reader {n}" for n in range(10)]
    lines.append("r2@example.org,Reader again")  # a duplicate of a row before the crash
    run = _upload(riverside, "r.csv", cast["agent"], content="\n".join(lines).encode())
    run_tasks(check_import, run, mapping=run.mapping, by=cast["agent"])
    real_create = imports.create_in_bulk
    calls = []

    def dies_in_the_second_chunk(fresh, rows, by):
        calls.append(len(rows))
        if len(calls) == 2:
            raise WorkerKilled  # as SIGKILL would: nothing after this point runs
        return real_create(fresh, rows, by)

    monkeypatch.setattr(imports, "create_in_bulk", dies_in_the_second_chunk)
    with pytest.raises(WorkerKilled):
        run_tasks(start_import, run, by=cast["agent"])
    assert calls == [4, 4]
    run.refresh_from_db()
    assert (run.status, run.processed, run.created) == ("importing", 4, 4)
    assert Contact.objects.filter(workspace=riverside).count() == 4
    # The minute tick finds it once its progress is old, and the task goes on.
    assert imports.stalled() == []
    ImportRun.objects.filter(pk=run.pk).update(
        heartbeat_at=run.heartbeat_at - timedelta(seconds=imports.STALL_SECONDS + 1)
    )
    assert imports.stalled() == [run.pk]
    monkeypatch.setattr(imports, "create_in_bulk", real_create)
    imports.run(run.pk)
    run.refresh_from_db()
    assert (run.status, run.processed, run.total) == ("done", 11, 11)
    assert _counts(run) == (10, 0, 0, 1)
    assert run.report == [{"row": 12, "reason": "Duplicate of row 4 (r2@example.org)."}]
    assert Contact.objects.filter(workspace=riverside).count() == 10


def test_an_id_already_used_by_another_kind_of_notice_is_reported_not_dropped(
    cast, riverside, maya_sender, hold_ready, run_tasks
):
    from frontdesk.outreach.actions.campaigns import send_notice

    grace = create_contact(
        riverside, name="Grace", identities=[("email", "grace@example.org")], by=None
    )
    overdue = create_template(
        riverside.pk, name="Overdue", subject="Overdue", html="<p>Overdue</p>", by=cast["agent"]
    )
    send_notice(
        sender=maya_sender,
        template=overdue,
        contact=grace,
        data={},
        external_id="H-1",
        by=cast["agent"],
    )
    run = _upload(riverside, "holds.csv", cast["agent"], kind="notices")
    run_tasks(
        check_import,
        run,
        mapping=run.mapping,
        template=hold_ready,
        sender=maya_sender,
        create_contacts=True,
        by=cast["agent"],
    )
    run.refresh_from_db()
    assert {"row": 2, "reason": "Id “H-1” was used for another kind of notice."} in run.report


def test_topic_columns_subscribe_as_the_file_says_and_an_unsubscribe_stands(
    cast, riverside, run_tasks
):
    from frontdesk.outreach.actions.recipients import set_subscription
    from frontdesk.outreach.models import Subscription, Topic

    newsletter = Topic.objects.create(
        workspace=riverside, slug="newsletter", name="Newsletter", double_opt_in=True
    )
    events = Topic.objects.create(workspace=riverside, slug="events", name="Events")
    cy = create_contact(riverside, name="Cy", identities=[("email", "cy@example.org")], by=None)
    set_subscription(cy, events, subscribed=False)
    content = (
        b"Name,Email,Newsletter,Events\n"
        b"Ana,ana@example.org,yes,no\n"
        b"Ben,ben@example.org,,yes\n"
        b"Cy,cy@example.org,,yes\n"
    )
    run = _upload(riverside, "topics.csv", cast["agent"], content=content)
    assert run.mapping["Newsletter"] == "topic.newsletter"
    assert run.mapping["Events"] == "topic.events"
    run_tasks(check_import, run, mapping=run.mapping, by=cast["agent"])
    assert _counts(run) == (2, 0, 1, 0)
    assert not Subscription.objects.filter(contact__name__in=["Ana", "Ben"]).exists()
    run_tasks(start_import, run, by=cast["agent"])

    def status(name: str, topic: Topic) -> str | None:
        row = Subscription.objects.filter(contact__name=name, topic=topic).first()
        return row.status if row else None

    assert status("Ana", newsletter) == "pending"  # double opt-in: the person confirms
    assert status("Ana", events) == "unsubscribed"  # "no" is a choice, recorded
    assert (status("Ben", newsletter), status("Ben", events)) == (None, "subscribed")
    assert status("Cy", events) == "unsubscribed"
    again = _upload(riverside, "topics.csv", cast["agent"], content=content)
    run_tasks(check_import, again, mapping=again.mapping, by=cast["agent"])
    assert _counts(again) == (0, 0, 3, 0)


def test_an_internal_error_stops_the_import_and_says_so(cast, riverside, run_tasks, monkeypatch):
    run = _upload(riverside, "contacts.csv", cast["agent"])
    run_tasks(check_import, run, mapping=run.mapping, by=cast["agent"])

    def broken(fresh, rows, by):
        raise KeyError("bug")

    monkeypatch.setattr(imports, "create_in_bulk", broken)
    run_tasks(start_import, run, by=cast["agent"])
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error == "After 0 rows: The import stopped because of an internal error (KeyError)."
    assert imports.stalled() == []  # not retried in a loop
