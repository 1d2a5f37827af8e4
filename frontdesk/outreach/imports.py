"""CSV imports: contacts, and notice data (holds ready, overdue items) exported from
a library system, each with a dry run first.

The file: UTF-8 (with or without a byte-order mark) or Windows-1252, whichever
decodes the whole file (`detect_encoding`); the delimiter is what `csv.Sniffer`
finds in the first lines (comma, semicolon, tab or bar); the first row names the
columns. Staff map each column to a target (`CONTACT_TARGETS`, `NOTICE_TARGETS`).

One engine serves both steps (`process`): it reads the file as a stream, row by
row, in chunks of `CHUNK` rows. For each chunk it looks up the contacts (and
notices) the rows name in a few queries, then *plans* every row against the
database: invalid (with the reason), to create, to update, or unchanged. The dry
run stops there and only counts; the import applies the same plans through the
actions (`create_contact`, `set_consent`, `send_notice` ...), one transaction per
chunk that also records the progress, so a worker that dies mid-file resumes after
the last chunk it committed. Identity is the email address or phone number (as
normalised for contacts), and a notice's `external_id`: importing the same file
twice changes nothing the second time.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from frontdesk.core.actions import contacts as contact_actions
from frontdesk.core.errors import ActionError
from frontdesk.core.models import (
    ConsentStatus,
    ConsentTopic,
    Contact,
    ContactIdentity,
    IdentityKind,
    Membership,
    Workspace,
    normalise_identity,
)
from frontdesk.outreach import render
from frontdesk.outreach.actions.confirmations import queue_confirmations
from frontdesk.outreach.actions.recipients import record_subscription
from frontdesk.outreach.models import (
    ContactData,
    ImportKind,
    ImportRun,
    ImportStatus,
    MessageKind,
    Notice,
    Subscription,
    SubscriptionStatus,
    Template,
    Topic,
)

logger = logging.getLogger(__name__)

CHUNK = 500
REPORT_ROWS = 1000  # invalid rows listed in a report (all are counted)
SAMPLE_BYTES = 64 * 1024
READ_BYTES = 1024 * 1024
MAX_COLUMNS = 200
MAX_FIELD_CHARS = 10_000

# Targets a column can be mapped to ("" leaves it out).
CONTACT_TARGETS: dict[str, str] = {
    "": "Leave out",
    "name": "Name",
    "email": "Email address",
    "phone": "Phone number",
    "tags": "Tags (comma-separated)",
    "consent.email": "Consent: email",
    "consent.sms": "Consent: text messages",
    "consent.community": "Consent: community",
    "field": "Custom field (named after the column)",
}
NOTICE_TARGETS: dict[str, str] = {
    "": "Leave out",
    "external_id": "The library system's id (hold, loan)",
    "name": "Patron's name",
    "email": "Patron's email address",
    "phone": "Patron's phone number",
    "item": "Item field: {{ item.<column> }}",
    "event": "Event field: {{ event.<column> }}",
}
SINGLE = {"name", "email", "phone", "tags", "external_id"} | {
    f"consent.{t}" for t in ConsentTopic.values
}
YES = {"yes", "y", "true", "1", "granted", "opted in", "opt-in", "subscribed", "x", "ja", "oui"}
NO = {"no", "n", "false", "0", "revoked", "opted out", "opt-out", "unsubscribed", "nein", "non"}


class ImportFileError(ActionError):
    """A file that cannot be imported as it is (not text, no header row)."""


# --- reading the file ---------------------------------------------------------------------


def detect_encoding(chunks: Iterator[bytes]) -> str:
    """ "utf-8-sig", "utf-8" or "cp1252": the first that decodes every byte."""
    head = b""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    utf8_ok = cp1252_ok = True
    for chunk in chunks:
        if not head:
            head = chunk[:3]
        for name in ("utf8", "cp1252"):
            decoder = utf8 if name == "utf8" else cp1252
            if (utf8_ok if name == "utf8" else cp1252_ok) is False:
                continue
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError:
                if name == "utf8":
                    utf8_ok = False
                else:
                    cp1252_ok = False
                continue
            if "\x00" in text:
                raise ImportFileError(
                    "This is not a CSV text file (it contains NUL bytes): "
                    "save it from the spreadsheet as “CSV UTF-8”."
                )
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    if utf8_ok:
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    if cp1252_ok:
        return "cp1252"
    raise ImportFileError(
        "This file is neither UTF-8 nor Windows-1252 text: save it as “CSV UTF-8”."
    )


def sniff_delimiter(sample: str) -> str:
    """The delimiter csv.Sniffer finds in the first lines; a comma if it finds none
    (a file of one column)."""
    cut = sample.rfind("\n")
    sample = sample[: cut if cut > 0 else len(sample)]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def header_names(raw: list[str]) -> list[str]:
    """The header row made usable: blank names become “Column 3”, repeats get “(2)”."""
    names: list[str] = []
    for number, name in enumerate(raw, 1):
        name = " ".join(name.split())[:80] or f"Column {number}"
        base, count = name, 2
        while name in names:
            name = f"{base} ({count})"
            count += 1
        names.append(name)
    return names


def open_text(run: ImportRun) -> IO[str]:
    binary = default_storage.open(run.stored_name, "rb")
    return io.TextIOWrapper(binary, encoding=run.encoding, newline="")


def read_rows(run: ImportRun) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, the cells) of every data row; the header
    is row 1. Blank lines are skipped."""
    csv.field_size_limit(MAX_FIELD_CHARS * 4)
    with open_text(run) as text:
        reader = csv.reader(text, delimiter=run.delimiter)
        next(reader, None)
        for number, cells in enumerate(reader, 2):
            if any(cell.strip() for cell in cells):
                yield number, cells


def inspect(stored_name: str, chunks: Callable[[], Iterator[bytes]]) -> tuple[str, str, list[str]]:
    """(encoding, delimiter, column names) of an uploaded file; ImportFileError if it
    is not a CSV file with a header row."""
    encoding = detect_encoding(chunks())
    with default_storage.open(stored_name, "rb") as binary:
        sample = binary.read(SAMPLE_BYTES).decode(encoding, errors="replace")
    delimiter = sniff_delimiter(sample)
    csv.field_size_limit(MAX_FIELD_CHARS * 4)
    try:
        header = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
    except csv.Error as error:
        raise ImportFileError(f"The first row cannot be read as CSV: {error}.") from None
    if not any(cell.strip() for cell in header):
        raise ImportFileError("The first row must name the columns (e.g. Name, Email).")
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(f"This file has {len(header)} columns; at most {MAX_COLUMNS}.")
    return encoding, delimiter, header_names(header)


def field_key(column: str) -> str:
    """A column's name as a placeholder field: “Home branch” -> home_branch."""
    key = re.sub(r"[^A-Za-z0-9]+", "_", column).strip("_").lower()
    return key[:60] or "field"


def targets_for(run: ImportRun) -> dict[str, str]:
    """What a column of this run may become: for contacts also a subscription to
    each of the workspace's topics."""
    if run.kind == ImportKind.NOTICES:
        return dict(NOTICE_TARGETS)
    topics = Topic.objects.for_workspace(run.workspace).order_by("name")
    return CONTACT_TARGETS | {
        f"topic.{t.slug}": f"Subscribed to “{t.name}”"
        + (" (to confirm)" if t.double_opt_in else "")
        for t in topics
    }


def _single(target: str) -> bool:
    return target in SINGLE or target.startswith("topic.")


def guess_mapping(
    kind: str, columns: list[str], topics: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A first mapping from the column names, for staff to correct. `topics`: the
    workspace's topics, slug -> name (a column named after one subscribes to it)."""
    guessed: dict[str, str] = {}
    taken: set[str] = set()
    by_name = {
        label.lower(): slug for slug, name in (topics or {}).items() for label in (slug, name)
    }
    for column in columns:
        name = column.lower()
        words = set(re.findall(r"[a-z]+", name))
        target = ""
        if kind == ImportKind.CONTACTS and name in by_name:
            target = f"topic.{by_name[name]}"
        elif "consent" in words or "optin" in name.replace("-", "").replace(" ", ""):
            if words & {"sms", "text", "texts", "phone", "mobile"}:
                target = "consent.sms"
            elif words & {"email", "mail", "newsletter"}:
                target = "consent.email"
            elif "community" in words:
                target = "consent.community"
        elif words & {"email", "mail"} or name in ("e-mail", "e mail"):
            target = "email"
        elif words & {"phone", "mobile", "cell", "telephone", "tel", "sms"}:
            target = "phone"
        elif name in ("name", "full name", "patron", "patron name", "contact", "contact name"):
            target = "name"
        elif words & {"tags", "tag", "groups", "labels"}:
            target = "tags"
        elif kind == ImportKind.NOTICES and (
            name in ("id", "external id", "external_id")
            or (words & {"hold", "loan"} and "id" in words)
        ):
            target = "external_id"
        if target in taken or (kind == ImportKind.CONTACTS and target == "external_id"):
            target = ""
        if not target:
            target = "field" if kind == ImportKind.CONTACTS else "item"
        if kind == ImportKind.NOTICES and target.startswith(("consent.", "tags")):
            target = "item"
        guessed[column] = target
        if _single(target):
            taken.add(target)
    return guessed


def template_needs(template: Template) -> set[tuple[str, str]]:
    """(root, field) of every item/event placeholder the template uses without a
    default: a row without it cannot be sent."""
    texts = (
        [template.subject, template.html]
        if template.kind == MessageKind.EMAIL
        else [template.sms_body]
    )
    found: set[tuple[str, str]] = set()
    for text in texts:
        for match in render.PLACEHOLDER.finditer(text or ""):
            root, name, default = match.group(1), match.group(2), match.group(3)
            if root in ("item", "event") and default is None:
                found.add((root, name))
    return found


def mapping_problems(run: ImportRun, mapping: Mapping[str, str]) -> list[str]:
    """What keeps this mapping from being checked at all (a required column missing)."""
    targets = targets_for(run)
    problems = [f"“{c}”: unknown target “{t}”." for c, t in mapping.items() if t not in targets]
    used = [t for t in mapping.values() if t]
    problems += [
        f"Only one column can be the {targets[t].lower()}."
        for t in sorted(set(used))
        if _single(t) and used.count(t) > 1
    ]
    if not {"email", "phone"} & set(used):
        problems.append("Map a column to the email address or the phone number.")
    if run.kind == ImportKind.NOTICES:
        if "external_id" not in used:
            problems.append("Map a column to the library system's id, so nothing is sent twice.")
        if run.template is not None:
            mapped = {(t, field_key(c)) for c, t in mapping.items() if t in ("item", "event")}
            problems += [
                f"The template uses {{{{ {root}.{name} }}}}: map a column named “{name}” to it."
                for root, name in sorted(template_needs(run.template) - mapped)
            ]
    return problems


# --- planning and applying rows -----------------------------------------------------------


@dataclasses.dataclass
class Row:
    number: int
    name: str = ""
    email: str = ""
    phone: str = ""
    email_raw: str = ""
    phone_raw: str = ""
    tags: list[str] = dataclasses.field(default_factory=list)
    consent: dict[str, str] = dataclasses.field(default_factory=dict)
    topics: dict[str, bool] = dataclasses.field(default_factory=dict)  # slug -> subscribed
    fields: dict[str, str] = dataclasses.field(default_factory=dict)
    external_id: str = ""
    data: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    error: str = ""
    # Planned: "invalid", "create", "update" or "unchanged", and the contact found.
    outcome: str = ""
    contact_id: int | None = None
    changes: list[str] = dataclasses.field(default_factory=list)
    # Applied: subscriptions to double opt-in topics it left pending (to confirm).
    pending: list[int] = dataclasses.field(default_factory=list)


def _consent_value(raw: str) -> str | None:
    value = raw.strip().lower()
    if not value:
        return None
    if value in YES:
        return ConsentStatus.GRANTED
    if value in NO:
        return ConsentStatus.REVOKED
    raise ValueError(raw)


def parse_row(
    number: int, cells: list[str], columns: list[str], mapping: Mapping[str, str], ws: Workspace
) -> Row:
    """A row's cells read through the mapping and checked (addresses normalised);
    `error` says what is wrong with it."""
    row = Row(number)
    for index, column in enumerate(columns):
        target = mapping.get(column, "")
        value = cells[index].strip() if index < len(cells) else ""
        if not target or not value:
            continue
        if len(value) > MAX_FIELD_CHARS:
            row.error = f"“{column}” is longer than {MAX_FIELD_CHARS} characters."
            return row
        if target == "name":
            row.name = " ".join(value.split())[: contact_actions.NAME_LENGTH]
        elif target == "email":
            row.email_raw = value
        elif target == "phone":
            row.phone_raw = value
        elif target == "tags":
            row.tags = [t.strip()[:60] for t in re.split(r"[,;]", value) if t.strip()]
        elif target.startswith("consent."):
            try:
                status = _consent_value(value)
            except ValueError:
                row.error = f"“{column}”: “{value[:40]}” is not yes or no."
                return row
            if status:
                row.consent[target.removeprefix("consent.")] = status
        elif target.startswith("topic."):
            try:
                status = _consent_value(value)
            except ValueError:
                row.error = f"“{column}”: “{value[:40]}” is not yes or no."
                return row
            if status:
                row.topics[target.removeprefix("topic.")] = status == ConsentStatus.GRANTED
        elif target == "field":
            row.fields[field_key(column)] = value
        elif target == "external_id":
            row.external_id = value[:120]
        elif target in ("item", "event"):
            row.data.setdefault(target, {})[field_key(column)] = value
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
        row.error = f"It has {len(cells)} cells but the header names {len(columns)} columns."
        return row
    try:
        if row.email_raw:
            row.email = normalise_identity(IdentityKind.EMAIL, row.email_raw)
    except ValidationError:
        row.error = f"Bad email address “{row.email_raw[:80]}”."
        return row
    try:
        if row.phone_raw:
            row.phone = normalise_identity(
                IdentityKind.PHONE, row.phone_raw, default_country=ws.default_country
            )
    except ValidationError as error:
        row.error = f"Bad phone number: {' '.join(error.messages)}"
        return row
    if not row.email and not row.phone:
        row.error = "No email address or phone number."
    return row


class Planner:
    """Plans rows of one run against the database, chunk by chunk, and remembers
    the identities seen earlier in the file (a later repeat is a duplicate)."""

    def __init__(self, run: ImportRun) -> None:
        self.run = run
        self.workspace = run.workspace
        self.seen: dict[tuple[str, str], int] = {}
        self.needs = template_needs(run.template) if run.template is not None else set()
        self.topics = {
            t.slug: t
            for t in Topic.objects.for_workspace(run.workspace)
            if f"topic.{t.slug}" in run.mapping.values()
        }

    def _keys(self, row: Row) -> list[tuple[str, str]]:
        if self.run.kind == ImportKind.NOTICES:
            return [("external_id", row.external_id)] if row.external_id else []
        return [(k, v) for k, v in (("email", row.email), ("phone", row.phone)) if v]

    def remember(self, row: Row) -> None:
        for key in self._keys(row):
            self.seen.setdefault(key, row.number)

    def _duplicate(self, row: Row) -> bool:
        keys = self._keys(row)
        for key in keys:
            if key in self.seen:
                row.error = f"Duplicate of row {self.seen[key]} ({key[1]})."
                return True
        for key in keys:
            self.seen[key] = row.number
        return False

    def plan(self, rows: list[Row]) -> None:
        valid = [r for r in rows if not r.error and not self._duplicate(r)]
        identities = ContactIdentity.objects.for_workspace(self.workspace)
        emails = {r.email for r in valid if r.email}
        phones = {r.phone for r in valid if r.phone}
        owners: dict[tuple[str, str], int] = {
            (kind, value): contact_id
            for kind, value, contact_id in identities.filter(
                kind=IdentityKind.EMAIL, value__in=emails
            ).values_list("kind", "value", "contact_id")
        }
        owners |= {
            (kind, value): contact_id
            for kind, value, contact_id in identities.filter(
                kind=IdentityKind.PHONE, value__in=phones
            ).values_list("kind", "value", "contact_id")
        }
        for row in valid:
            found = {owners.get(("email", row.email)), owners.get(("phone", row.phone))} - {None}
            if len(found) > 1:
                row.error = "The email address and the phone number belong to two contacts."
                continue
            row.contact_id = found.pop() if found else None
        valid = [r for r in valid if not r.error]
        if self.run.kind == ImportKind.CONTACTS:
            self._plan_contacts(valid)
        else:
            self._plan_notices(valid)
        for row in rows:
            if row.error:
                row.outcome = "invalid"

    def _plan_contacts(self, rows: list[Row]) -> None:
        ids = {r.contact_id for r in rows if r.contact_id}
        contacts = {
            c.pk: c
            for c in Contact.objects.filter(pk__in=ids).only(
                "pk", "name", *(f"{topic}_consent" for topic in ConsentTopic.values)
            )
        }
        data = {d.contact_id: d for d in ContactData.objects.filter(contact_id__in=ids)}
        has = set(
            ContactIdentity.objects.filter(contact_id__in=ids).values_list("contact_id", "kind")
        )
        subscribed = {
            (contact_id, topic_id): status
            for contact_id, topic_id, status in Subscription.objects.filter(
                contact_id__in=ids, topic__in=self.topics.values()
            ).values_list("contact_id", "topic_id", "status")
        }
        for row in rows:
            contact = contacts.get(row.contact_id or 0)
            if contact is None:
                row.outcome = "create"
                continue
            changes = row.changes
            if row.name and row.name != contact.name:
                changes.append("name")
            if row.email and (contact.pk, "email") not in has:
                changes.append("email")
            if row.phone and (contact.pk, "phone") not in has:
                changes.append("phone")
            for topic, status in row.consent.items():
                current = contact.consent_for(topic)
                # An opt-out recorded here (a STOP, an unsubscribe) outlives an old export.
                if current != status and current != ConsentStatus.REVOKED:
                    changes.append(f"consent.{topic}")
            for slug, wanted in row.topics.items():
                now = subscribed.get((contact.pk, self.topics[slug].pk))
                # As with consent: an unsubscribe recorded here stands.
                if (now is None) if wanted else (now != SubscriptionStatus.UNSUBSCRIBED):
                    changes.append(f"topic.{slug}")
            extra = data.get(contact.pk)
            fields, tags = (extra.fields, extra.tags) if extra else ({}, [])
            if any(fields.get(k) != v for k, v in row.fields.items()):
                changes.append("fields")
            if any(t not in tags for t in row.tags):
                changes.append("tags")
            row.outcome = "update" if changes else "unchanged"

    def _plan_notices(self, rows: list[Row]) -> None:
        template = self.run.template
        assert template is not None
        kinds = set(
            ContactIdentity.objects.filter(
                contact_id__in={r.contact_id for r in rows if r.contact_id}
            ).values_list("contact_id", "kind")
        )
        existing = dict(
            Notice.objects.for_workspace(self.workspace)
            .filter(external_id__in=[r.external_id for r in rows])
            .values_list("external_id", "template_id")
        )
        for row in rows:
            missing = [
                f"{root}.{name}"
                for root, name in sorted(self.needs)
                if not row.data.get(root, {}).get(name)
            ]
            if not row.external_id:
                row.error = "No id from the library system (the id column is empty)."
            elif row.external_id in existing:
                if existing[row.external_id] != template.pk:
                    row.error = f"Id “{row.external_id}” was used for another kind of notice."
                else:
                    row.outcome = "unchanged"  # sent before
            elif missing:
                row.error = f"Missing {', '.join(missing)} (the template uses it)."
            elif row.contact_id is None and not self.run.create_contacts:
                row.error = f"No contact with {row.email or row.phone}."
            elif (
                template.kind == MessageKind.EMAIL
                and not row.email
                and (row.contact_id, "email") not in kinds
            ):
                row.error = "No email address for an email notice."
            elif (
                template.kind == MessageKind.SMS
                and not row.phone
                and (row.contact_id, "phone") not in kinds
            ):
                row.error = "No phone number for a text-message notice."
            else:
                row.outcome = "create"


def _source(run: ImportRun) -> str:
    return f"import {run.filename}"[:120]


def apply_contact(run: ImportRun, row: Row, by: Membership) -> None:
    workspace = run.workspace
    identities = [(k, v) for k, v in (("email", row.email_raw), ("phone", row.phone_raw)) if v]
    if row.outcome == "create":
        contact = contact_actions.create_contact(
            workspace, by=by, name=row.name, identities=identities
        )
    else:
        contact = Contact.objects.get(pk=row.contact_id or 0)
        if "name" in row.changes:
            contact_actions.update_contact_details(contact, by=by, name=row.name)
        for kind, value in identities:
            if kind in row.changes:
                contact_actions.add_identity(contact, by=by, kind=kind, value=value)
    for topic, status in row.consent.items():
        if contact.consent_for(topic) != ConsentStatus.REVOKED:
            contact_actions.set_consent(
                contact, topic=topic, status=status, source=_source(run), by=by
            )
    for slug, wanted in row.topics.items():
        if row.outcome == "create" or f"topic.{slug}" in row.changes:
            chosen = Topic.objects.get(workspace_id=workspace.pk, slug=slug)
            made = record_subscription(contact, chosen, subscribed=wanted, by=by)
            if made.status == SubscriptionStatus.PENDING:
                row.pending.append(made.pk)
    if row.fields or row.tags:
        extra, _ = ContactData.objects.get_or_create(
            contact=contact, defaults={"workspace_id": workspace.pk}
        )
        extra.fields = {**(extra.fields or {}), **row.fields}
        extra.tags = [*(extra.tags or []), *(t for t in row.tags if t not in (extra.tags or []))]
        extra.save(update_fields=["fields", "tags"])


def create_in_bulk(run: ImportRun, rows: list[Row], by: Membership) -> bool:
    """Create a chunk's new contacts with a few INSERTs; False (nothing written) if
    one of their addresses was taken meanwhile: they are then created one by one."""
    if not rows:
        return True
    new = [
        contact_actions.NewContact(
            name=row.name,
            identities=[
                (kind, value)
                for kind, value in (("email", row.email_raw), ("phone", row.phone_raw))
                if value
            ],
            consent=row.consent,
        )
        for row in rows
    ]
    pending: dict[int, list[int]] = {}
    try:
        with transaction.atomic():
            made = contact_actions.create_contacts_in_bulk(
                run.workspace, new, source=_source(run), by=by
            )
            ContactData.objects.bulk_create(
                [
                    ContactData(
                        workspace_id=run.workspace_id,
                        contact=contact,
                        fields=row.fields,
                        tags=list(dict.fromkeys(row.tags)),
                    )
                    for contact, row in zip(made, rows, strict=True)
                    if row.fields or row.tags
                ]
            )
            topics = {t.slug: t for t in Topic.objects.for_workspace(run.workspace)}
            for n, (contact, row) in enumerate(zip(made, rows, strict=True)):
                for slug, wanted in row.topics.items():
                    chosen = record_subscription(contact, topics[slug], subscribed=wanted, by=by)
                    if chosen.status == SubscriptionStatus.PENDING:
                        pending.setdefault(n, []).append(chosen.pk)
    except (IntegrityError, ActionError, ValidationError):
        return False
    for n, ids in pending.items():
        rows[n].pending = ids
    return True


def apply_notice(run: ImportRun, row: Row, by: Membership) -> None:
    from frontdesk.outreach.actions.campaigns import send_notice

    assert run.template is not None and run.sender is not None
    if row.contact_id is None:
        kind, value = ("email", row.email_raw) if row.email else ("phone", row.phone_raw)
        contact, _ = contact_actions.resolve_contact(
            run.workspace, kind=kind, value=value, name=row.name, by=by
        )
        other = ("phone", row.phone_raw) if kind == "email" else ("email", row.email_raw)
        if other[1]:
            contact_actions.add_identity(contact, by=by, kind=other[0], value=other[1])
    else:
        contact = Contact.objects.get(pk=row.contact_id or 0)
    send_notice(
        sender=run.sender,
        template=run.template,
        contact=contact,
        data=row.data,
        external_id=row.external_id,
        source="import",
        by=by,
    )


def process(run: ImportRun, *, by: Membership) -> None:
    """Check (status checking) or import (status importing) the whole file, chunk by
    chunk, recording progress; resumes an import after its last committed chunk."""
    dry = run.status == ImportStatus.CHECKING
    if dry:
        ImportRun.objects.filter(pk=run.pk).update(
            processed=0, created=0, updated=0, unchanged=0, invalid=0, report=[]
        )
        run.refresh_from_db()
    planner = Planner(run)
    done_before = 0 if dry else run.processed
    apply = apply_contact if run.kind == ImportKind.CONTACTS else apply_notice
    chunk: list[Row] = []
    position = 0

    def flush(rows: list[Row]) -> None:
        planner.plan(rows)
        with transaction.atomic():
            fresh = ImportRun.objects.select_for_update().get(pk=run.pk)
            counts = {"created": 0, "updated": 0, "unchanged": 0, "invalid": 0}
            report: list[dict[str, object]] = []
            bulk = (
                not dry
                and run.kind == ImportKind.CONTACTS
                and create_in_bulk(fresh, [r for r in rows if r.outcome == "create"], by)
            )
            for row in rows:
                if bulk and row.outcome == "create":
                    pass  # created above
                elif not dry and row.outcome in ("create", "update"):
                    try:
                        with transaction.atomic():
                            apply(fresh, row, by)
                    except IntegrityError:
                        row.error = (
                            "Its contact changed while the file was imported: import it again."
                        )
                        row.outcome = "invalid"
                    except (ActionError, ValidationError) as error:
                        messages = getattr(error, "messages", None)
                        row.error = " ".join(messages) if messages else str(error)
                        row.outcome = "invalid"
                key = {"create": "created", "update": "updated"}.get(row.outcome, row.outcome)
                counts[key] += 1
                if row.outcome == "invalid":
                    report.append({"row": row.number, "reason": row.error})
            confirm = [pk for row in rows if row.outcome != "invalid" for pk in row.pending]
            if confirm:
                # Double opt-in: each subscription the chunk left pending gets its
                # confirmation message (once), queued with the chunk.
                queue_confirmations(fresh.workspace_id, confirm, by=by, source="import")
            room = max(REPORT_ROWS - len(fresh.report), 0)
            ImportRun.objects.filter(pk=run.pk).update(
                processed=F("processed") + len(rows),
                created=F("created") + counts["created"],
                updated=F("updated") + counts["updated"],
                unchanged=F("unchanged") + counts["unchanged"],
                invalid=F("invalid") + counts["invalid"],
                report=[*fresh.report, *report[:room]],
                heartbeat_at=timezone.now(),
            )

    columns, mapping, workspace = run.columns, run.mapping, run.workspace
    for number, cells in read_rows(run):
        row = parse_row(number, cells, columns, mapping, workspace)
        position += 1
        if position <= done_before:
            # Imported before a worker stopped: read again only for the identities
            # it holds, so a later repeat is still reported as a duplicate.
            if not row.error:
                planner.remember(row)
            continue
        chunk.append(row)
        if len(chunk) >= CHUNK:
            flush(chunk)
            chunk = []
    if chunk:
        flush(chunk)
    finish(run, dry=dry)


def count_rows(run: ImportRun) -> int:
    return sum(1 for _ in read_rows(run))


def finish(run: ImportRun, *, dry: bool) -> None:
    now = timezone.now()
    if dry:
        run.refresh_from_db()
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.CHECKED,
            checked={
                "created": run.created,
                "updated": run.updated,
                "unchanged": run.unchanged,
                "invalid": run.invalid,
                "report": run.report,
            },
            heartbeat_at=now,
        )
        return
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.DONE, finished_at=now, heartbeat_at=now, stored_name=""
    )
    if run.stored_name:
        default_storage.delete(run.stored_name)


STALL_SECONDS = 300  # a busy run whose last chunk is older than this lost its worker


def run(run_id: int) -> None:
    """The task: check or import the run if it is waiting for that."""
    found = (
        ImportRun.objects.select_related("workspace", "template", "sender", "started_by")
        .filter(pk=run_id, status__in=[ImportStatus.CHECKING, ImportStatus.IMPORTING])
        .first()
    )
    if found is None:
        return
    by = found.started_by or found.created_by
    try:
        if by is None:
            raise ActionError("Whoever asked for it is no longer a member.")
        if not found.total:
            found.total = count_rows(found)
            ImportRun.objects.filter(pk=found.pk).update(total=found.total)
        process(found, by=by)
    except (ActionError, csv.Error, UnicodeDecodeError, OSError) as error:
        reason = str(error)
    except Exception as error:
        # A fault of ours: stop here (the tick would only retry it) and say so; what
        # was imported stays, and importing the file again finishes it.
        logger.exception("CSV import failed", extra={"import_run": found.pk})
        reason = f"The import stopped because of an internal error ({type(error).__name__})."
    else:
        return
    done = ImportRun.objects.filter(pk=found.pk).values_list("processed", flat=True).first()
    ImportRun.objects.filter(pk=found.pk).update(
        status=ImportStatus.FAILED,
        error=f"After {done} rows: {reason}"[:500],
        heartbeat_at=timezone.now(),
    )


def stalled() -> list[int]:
    """Runs a worker left mid-file (it died): the minute tick queues them again."""
    since = timezone.now() - timedelta(seconds=STALL_SECONDS)
    return list(
        ImportRun.objects.filter(
            status__in=[ImportStatus.CHECKING, ImportStatus.IMPORTING], heartbeat_at__lt=since
        ).values_list("pk", flat=True)
    )
