"""CSV imports (`outreach/imports.py`): upload a file, map its columns and check it
(the dry run), then import it. The checking and the importing run in the task
queue; these actions only record what was asked and queue the work."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from frontdesk.core import roles
from frontdesk.core.errors import ActionError
from frontdesk.core.models import Membership, Workspace
from frontdesk.core.permissions import require
from frontdesk.outreach import imports
from frontdesk.outreach.models import (
    ImportKind,
    ImportRun,
    ImportStatus,
    MessageKind,
    SenderIdentity,
    Template,
    Topic,
)

MAX_BYTES = 200 * 1024 * 1024


def _require(by: Membership, kind: str, workspace_id: int, *, create_contacts: bool) -> None:
    if kind == ImportKind.CONTACTS or create_contacts:
        require(by, roles.MANAGE_CONTACTS, workspace_id=workspace_id)
    if kind == ImportKind.NOTICES:
        require(by, roles.SEND_OUTREACH, workspace_id=workspace_id)


def _kick(run_id: int) -> None:
    from frontdesk.outreach import tasks

    tasks.run_import(run_id)


def upload_import(
    workspace: Workspace, *, kind: str, upload: UploadedFile[Any], by: Membership
) -> ImportRun:
    """Keep the uploaded CSV file and read its header; ImportFileError if it is not a
    CSV text file with a header row (nothing is kept then)."""
    if kind not in ImportKind.values:
        raise ActionError("Choose what the file holds.", field="kind")
    _require(by, kind, workspace.pk, create_contacts=False)
    if not upload.size:
        raise imports.ImportFileError("The file is empty.", field="file")
    if upload.size > MAX_BYTES:
        raise imports.ImportFileError(
            f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.", field="file"
        )
    filename = (upload.name or "import.csv").replace("\\", "/").rsplit("/", 1)[-1][:200]
    safe = get_valid_filename(filename)[-100:] or "import.csv"
    stored = default_storage.save(f"imports/{secrets.token_urlsafe(16)}/{safe}", upload)

    def chunks() -> Iterator[bytes]:
        with default_storage.open(stored, "rb") as binary:
            while block := binary.read(imports.READ_BYTES):
                yield block

    try:
        encoding, delimiter, columns = imports.inspect(stored, chunks)
    except imports.ImportFileError:
        default_storage.delete(stored)
        raise
    return ImportRun.objects.create(
        workspace=workspace,
        kind=kind,
        filename=filename,
        stored_name=stored,
        encoding=encoding,
        delimiter=delimiter,
        columns=columns,
        mapping=imports.guess_mapping(
            kind,
            columns,
            dict(Topic.objects.for_workspace(workspace).values_list("slug", "name")),
        ),
        created_by=by,
    )


def check_import(
    run: ImportRun,
    *,
    mapping: Mapping[str, str],
    template: Template | None = None,
    sender: SenderIdentity | None = None,
    create_contacts: bool = False,
    by: Membership,
) -> None:
    """Record the mapping (and for notices the template and sender) and queue the dry
    run, which reads every row and writes nothing but its report. ActionError lists
    what keeps the mapping from being checked (a required column not mapped)."""
    _require(by, run.kind, run.workspace_id, create_contacts=create_contacts)
    if run.status not in (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED):
        raise ActionError("This file is being checked or imported already.", code="state")
    if run.kind == ImportKind.NOTICES:
        if template is None or sender is None:
            raise ActionError("Choose the notice's template and who sends it.", field="template")
        if {template.workspace_id, sender.workspace_id} != {run.workspace_id}:
            raise ActionError("That belongs to another workspace.")
        channel = (
            sender.email_channel_id if template.kind == MessageKind.EMAIL else sender.sms_channel_id
        )
        if channel is None:
            raise ActionError(
                f"{sender.name} has no channel for a {template.get_kind_display().lower()}.",
                field="sender",
            )
    run.template = template if run.kind == ImportKind.NOTICES else None
    run.sender = sender if run.kind == ImportKind.NOTICES else None
    run.create_contacts = create_contacts and run.kind == ImportKind.NOTICES
    clean = {column: mapping.get(column, "") for column in run.columns}
    problems = imports.mapping_problems(run, clean)
    if problems:
        raise ActionError(" ".join(problems), field="mapping", code="mapping")
    with transaction.atomic():
        changed = ImportRun.objects.filter(
            pk=run.pk,
            status__in=[ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED],
        ).update(
            mapping=clean,
            template=run.template,
            sender=run.sender,
            create_contacts=run.create_contacts,
            status=ImportStatus.CHECKING,
            started_by=by,
            total=0,
            processed=0,
            error="",
            heartbeat_at=timezone.now(),
        )
        if not changed:
            raise ActionError("This file is being checked or imported already.", code="state")
        transaction.on_commit(lambda: _kick(run.pk))
    run.refresh_from_db()


def start_import(run: ImportRun, *, by: Membership) -> None:
    """Import the checked file with the checked mapping (in the task queue)."""
    _require(by, run.kind, run.workspace_id, create_contacts=run.create_contacts)
    with transaction.atomic():
        changed = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.CHECKED).update(
            status=ImportStatus.IMPORTING,
            started_by=by,
            processed=0,
            created=0,
            updated=0,
            unchanged=0,
            invalid=0,
            report=[],
            heartbeat_at=timezone.now(),
        )
        if not changed:
            raise ActionError("Check the file first (or it is imported already).", code="state")
        transaction.on_commit(lambda: _kick(run.pk))
    run.refresh_from_db()
