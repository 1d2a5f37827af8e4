"""Transactional notices (hold ready, item overdue): send one, read its delivery
state, list them.

A notice names its template (by id, or by the key other systems know it by), a
sender identity, the contact (by id, or by an email address or phone number: found,
or created when the token's member may manage contacts), the data the template
reads ({"item": {"title": ...}}) and an `external_id`, the sending system's own id
for what the notice is about. The same `external_id` again answers the first notice
with 200 instead of 201 and sends nothing more. Every write goes through
`outreach.actions.campaigns.send_notice`, the path CSV imports take too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import model_validator

from frontdesk.api.cursors import decode_cursor, encode_cursor
from frontdesk.api.schemas import ErrorOut, require_capability
from frontdesk.core import roles
from frontdesk.core.actions import contacts as contact_actions
from frontdesk.core.http import WorkspaceRequest, parse_id
from frontdesk.core.models import Contact, ContactIdentity, IdentityKind, normalise_identity
from frontdesk.outreach import queries
from frontdesk.outreach.actions.campaigns import send_notice
from frontdesk.outreach.models import Delivery, Notice, SenderIdentity, Template

router = Router(tags=["notices"])

MAX_PAGE = 100
MAX_DATA_CHARS = 20_000


class DeliveryOut(Schema):
    state: Literal["queued", "claimed", "sending", "sent", "failed", "suppressed"] = Field(
        description="queued → claimed → sending → sent; or failed / suppressed (not sent: "
        "an unsubscribed or bounced address, a revoked consent)."
    )
    kind: Literal["email", "sms"]
    address: str
    attempts: int
    sent_at: datetime | None
    error: str = Field(description="Why it failed or was not sent; empty otherwise.")
    bounced_at: datetime | None
    unsubscribed_at: datetime | None
    replied: bool = Field(description="The recipient answered (the reply is in the inbox).")


class NoticeOut(Schema):
    id: int
    external_id: str
    template_id: int
    template_key: str
    sender_id: int
    contact_id: int
    data: dict[str, Any]
    source: str = Field(description="api, import or the app that sent it.")
    created_at: datetime
    delivery: DeliveryOut | None


class NoticePage(Schema):
    items: list[NoticeOut]
    next: str | None = Field(description="Pass as `cursor` for the next page; null at the end.")


class NoticeIn(Schema):
    template: int | Annotated[str, Field(min_length=1, max_length=60)] = Field(
        description="The template's id, or its key (e.g. “hold_ready”)."
    )
    kind: Literal["email", "sms"] = Field(
        "email", description="With a key: which of the key's templates (email or text)."
    )
    sender_id: int = Field(description="The sender identity the notice comes from.")
    contact_id: int | None = None
    email: str | None = Field(None, max_length=320, description="Instead of contact_id.")
    phone: str | None = Field(None, max_length=40, description="Instead of contact_id.")
    name: str = Field("", max_length=160, description="For a contact created from email/phone.")
    data: dict[str, Any] = Field(
        default_factory=dict,
        description='What the template reads besides the contact: {"item": {"title": …}}.',
    )
    external_id: str = Field(
        min_length=1,
        max_length=120,
        description="Your id for it (the hold's id): sent once however often you post it.",
    )

    @model_validator(mode="after")
    def _one_recipient(self) -> NoticeIn:
        if self.contact_id is None and not (self.email or "").strip() and not (self.phone or ""):
            raise ValueError("Name the recipient: contact_id, email or phone.")
        return self


class NoticeFilters(Schema):
    external_id: str | None = Field(None, max_length=120)
    contact_id: int | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 50
    cursor: str | None = Field(None, description="The `next` value of the previous page.")


def _delivery_out(delivery: Delivery | None) -> dict[str, object] | None:
    if delivery is None:
        return None
    return {
        "state": delivery.state,
        "kind": delivery.kind,
        "address": delivery.address,
        "attempts": delivery.attempts,
        "sent_at": delivery.sent_at,
        "error": delivery.error,
        "bounced_at": delivery.bounced_at,
        "unsubscribed_at": delivery.unsubscribed_at,
        "replied": delivery.reply_conversation_id is not None,
    }


def notice_out(notice: Notice, delivery: Delivery | None) -> dict[str, object]:
    return {
        "id": notice.pk,
        "external_id": notice.external_id,
        "template_id": notice.template_id,
        "template_key": notice.template.key,
        "sender_id": notice.sender_id,
        "contact_id": notice.contact_id,
        "data": notice.data,
        "source": notice.source,
        "created_at": notice.created_at,
        "delivery": _delivery_out(delivery),
    }


def _notices(request: WorkspaceRequest) -> Any:
    return Notice.objects.for_workspace(request.workspace).select_related("template")


def _with_deliveries(notices: list[Notice]) -> list[dict[str, object]]:
    deliveries = {
        d.notice_id: d for d in Delivery.objects.filter(notice__in=[n.pk for n in notices])
    }
    return [notice_out(n, deliveries.get(n.pk)) for n in notices]


def _template(request: WorkspaceRequest, payload: NoticeIn) -> Template:
    templates = Template.objects.for_workspace(request.workspace)
    if isinstance(payload.template, int):
        found = templates.filter(pk=parse_id(payload.template) or 0).first()
    else:
        found = templates.filter(key=payload.template.strip(), kind=payload.kind).first()
    if found is None:
        raise HttpError(422, f"No template {payload.template!r} in this workspace.")
    return found


def _sender(request: WorkspaceRequest, payload: NoticeIn) -> SenderIdentity:
    found = (
        SenderIdentity.objects.for_workspace(request.workspace)
        .filter(pk=parse_id(payload.sender_id) or 0)
        .first()
    )
    if found is None:
        raise HttpError(422, f"No sender identity {payload.sender_id} in this workspace.")
    return found


def _contact(request: WorkspaceRequest, payload: NoticeIn) -> Contact:
    workspace = request.workspace
    if payload.contact_id is not None:
        try:
            return queries.access_contact(workspace, payload.contact_id)
        except Http404:
            raise HttpError(422, f"No contact {payload.contact_id} in this workspace.") from None
    kind, value = (
        (IdentityKind.EMAIL, payload.email or "")
        if (payload.email or "").strip()
        else (IdentityKind.PHONE, payload.phone or "")
    )
    normalised = normalise_identity(kind, value, default_country=workspace.default_country)
    found = (
        ContactIdentity.objects.for_workspace(workspace)
        .filter(kind=kind, value=normalised)
        .select_related("contact")
        .first()
    )
    if found is not None:
        contact = found.contact
        while contact.merged_into_id is not None:
            contact = Contact.objects.get(pk=contact.merged_into_id)
        return contact
    contact, _created = contact_actions.resolve_contact(
        workspace, kind=kind, value=value, name=payload.name, by=request.membership
    )
    return contact


@router.post(
    "",
    response={
        200: NoticeOut,
        201: NoticeOut,
        403: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Send a notice to one contact (once per external_id)",
    description="201 with the new notice, queued for sending; 200 with the first notice "
    "when this `external_id` was posted before (nothing more is sent).",
)
def create_notice(request: WorkspaceRequest, payload: NoticeIn) -> Status[dict[str, object]]:
    membership = require_capability(request, roles.SEND_OUTREACH)
    existing = _notices(request).filter(external_id=payload.external_id.strip()).first()
    if existing is not None:
        return Status(200, _with_deliveries([existing])[0])
    if len(str(payload.data)) > MAX_DATA_CHARS:
        raise HttpError(422, f"`data` is too large (at most {MAX_DATA_CHARS} characters).")
    template = _template(request, payload)
    sender = _sender(request, payload)
    with transaction.atomic():  # a refused notice leaves no new contact behind
        contact = _contact(request, payload)
        notice, created = send_notice(
            sender=sender,
            template=template,
            contact=contact,
            data=payload.data,
            external_id=payload.external_id,
            source="api",
            by=membership,
        )
    return Status(201 if created else 200, _with_deliveries([notice])[0])


@router.get(
    "/{notice_id}",
    response={200: NoticeOut, 404: ErrorOut},
    summary="One notice with its delivery state",
)
def get_notice(request: WorkspaceRequest, notice_id: int) -> dict[str, object]:
    found = _notices(request).filter(pk=parse_id(notice_id) or 0).first()
    if found is None:
        raise Http404("No such notice")
    return _with_deliveries([found])[0]


@router.get("", response=NoticePage, summary="List notices, newest first")
def list_notices(request: WorkspaceRequest, filters: Query[NoticeFilters]) -> dict[str, object]:
    qs = _notices(request)
    if filters.external_id is not None:
        qs = qs.filter(external_id=filters.external_id.strip())
    if filters.contact_id is not None:
        qs = qs.filter(contact_id=parse_id(filters.contact_id) or 0)
    if filters.cursor:
        created_at, pk = decode_cursor(filters.cursor)
        qs = qs.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk))
    rows = list(qs.order_by("-created_at", "-pk")[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {
        "items": _with_deliveries(rows),
        "next": encode_cursor(rows[-1].created_at, rows[-1].pk) if more else None,
    }
