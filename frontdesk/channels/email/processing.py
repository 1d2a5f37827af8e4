"""After a mail is stored: parse it into the inbox event the intake threads.

`prepare` is the email kind's `prepare_inbound` hook: the intake worker calls it
on a claimed InboundEvent, inside its transaction, before contact and thread. It
reads the stored bytes back (`RawEmail`), parses them with the one parser
(`connectors.email.parse`), and either fills the row (sender, subject, visible text,
attachments and inline images saved to storage like MMS pictures) plus an
`EmailDetail` (threading headers, full text, sanitised HTML, flags), or says why no
customer message is made:

- a bounce (multipart/report, a delivery-status part, an empty Return-Path with a
  report): the bounced address is marked undeliverable and the reply it answers
  failed with the reason; the event is "processed" with a note;
- mail from one of our own addresses: never taken as a customer's (a loop);
- mail that cannot be read: failed, with the reason, for staff to see.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from frontdesk.channels.email.accounts import our_addresses
from frontdesk.channels.email.models import EmailDetail, RawEmail, UndeliverableAddress
from frontdesk.connectors.email.parse import ParsedEmail, parse_message
from frontdesk.core.models import ContactIdentity
from frontdesk.inbox.actions.replies import record_delivery_status
from frontdesk.inbox.models import InboundEvent, Message, MessageKind
from frontdesk.inbox.models.messages import attachment_path
from frontdesk.outreach.actions.recipients import record_provider_event

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailFlags:
    auto_reply: bool
    bounce: bool
    list_mail: bool

    @property
    def never_acknowledge(self) -> bool:
        return self.auto_reply or self.bounce or self.list_mail


def mail_flags(parsed: ParsedEmail) -> MailFlags:
    """The parser's signals (connectors/email/signals.py: RFC 3834 Auto-Submitted, the
    X-Autoreply family, Precedence, empty Return-Path, RFC 3464 reports, List-Id)."""
    bounce = parsed.is_bounce
    return MailFlags(
        auto_reply=parsed.is_auto_reply or bounce, bounce=bounce, list_mail=parsed.is_list_mail
    )


@dataclass(frozen=True)
class BounceReport:
    recipients: tuple[str, ...]
    reason: str
    original_message_id: str


def read_bounce(parsed: ParsedEmail) -> BounceReport:
    """Who bounced, why, and which of our messages: the parser's reading of the RFC 3464
    report (or of a plain-text bounce) and of the returned message's headers."""
    reason = parsed.bounce_reason or "The receiving mail server returned the message."
    return BounceReport(
        recipients=tuple(
            dict.fromkeys(a.strip().strip("<>").lower() for a in parsed.bounced_recipients)
        ),
        reason=" ".join(reason.split()),
        original_message_id=parsed.bounced_message_id,
    )


def prepare(row: InboundEvent) -> tuple[str, str] | None:
    """The email kind's prepare_inbound hook; see the module docstring."""
    stored = RawEmail.objects.filter(event_id=row.pk).first()
    if stored is None:
        return ("failed", "The mail's bytes are missing; it cannot be read.")
    raw = bytes(stored.data)
    try:
        parsed = parse_message(raw)
    except Exception as exc:
        return ("failed", f"Unreadable mail: {type(exc).__name__}: {exc}")
    flags = mail_flags(parsed)
    if flags.bounce:
        return ("processed", record_bounce(row, read_bounce(parsed)))
    sender = parsed.from_address.strip().lower()
    if not sender or "@" not in sender:
        return ("failed", "The mail names no sender address (From).")
    if sender in our_addresses(row.workspace_id):
        return (
            "failed",
            f"Mail from our own address {sender}: not taken as a customer's (a mail loop).",
        )
    attachments = []
    cids: dict[str, str] = {}
    for attachment in parsed.attachments:
        name = default_storage.save(
            attachment_path(None, attachment.filename or "file"), ContentFile(attachment.data)
        )
        attachments.append(
            {
                "filename": (attachment.filename or "file")[:255],
                "content_type": attachment.content_type[:120],
                "size": attachment.size,
                "stored_name": name,
            }
        )
        if attachment.content_id:
            cids[attachment.content_id] = name
    row.sender_kind = "email"
    row.sender_address = sender[:320]
    row.sender_name = parsed.from_name.strip()[:160]
    row.subject = parsed.subject.strip()[:255]
    row.body = parsed.body_text or parsed.body_text_full.strip()
    row.attachments = attachments
    row.save(
        update_fields=[
            "sender_kind",
            "sender_address",
            "sender_name",
            "subject",
            "body",
            "attachments",
        ]
    )
    recipients = [address for _name, address in parsed.to + parsed.cc]
    recipients += [
        parsed.headers.get(name, "") for name in ("delivered-to", "x-original-to", "envelope-to")
    ]
    recipients += list(stored.envelope_recipients or [])
    EmailDetail.objects.update_or_create(
        event=row,
        defaults={
            "workspace_id": row.workspace_id,
            "header_message_id": parsed.message_id[:255],
            "in_reply_to": parsed.in_reply_to[:255],
            "references": list(parsed.references)[-50:],
            "to": [[n, a] for n, a in parsed.to],
            "cc": [[n, a] for n, a in parsed.cc],
            "body_text_full": parsed.body_text_full,
            "body_html": parsed.body_html,
            "is_auto_reply": flags.auto_reply,
            "is_list_mail": flags.list_mail,
            "recipients": sorted({r.strip().lower() for r in recipients if r and "@" in r}),
            "inline_images": cids,
            "defects": list(parsed.defects)[:50],
        },
    )
    return None


def record_bounce(row: InboundEvent, report: BounceReport) -> str:
    """Mark the bounced addresses undeliverable and the reply they answer failed;
    returns the note the event keeps."""
    workspace = row.workspace
    marked: list[str] = []
    for address in report.recipients:
        known = ContactIdentity.objects.filter(
            workspace=workspace, kind="email", value=address
        ).exists()
        if not known:
            continue
        UndeliverableAddress.objects.update_or_create(
            workspace=workspace,
            address=address,
            defaults={"reason": report.reason[:500], "bounced_at": timezone.now()},
        )
        marked.append(address)
    for address in report.recipients:
        # A returned outreach message: the address is suppressed for outreach.
        record_provider_event(
            workspace.pk,
            message_id=report.original_message_id,
            address=address,
            complaint=False,
            detail=report.reason[:500],
        )
    reply = None
    if report.original_message_id:
        reply = (
            Message.objects.for_workspace(workspace)
            .filter(provider_message_id=report.original_message_id, kind=MessageKind.REPLY)
            .first()
        )
    if reply is None and marked:
        # No returned headers: the newest reply to that address in the last days.
        reply = (
            Message.objects.for_workspace(workspace)
            .filter(
                kind=MessageKind.REPLY,
                conversation__contact__identities__value__in=marked,
                sent_at__gte=timezone.now() - timedelta(days=3),
            )
            .order_by("-sent_at", "-id")
            .first()
        )
    if reply is not None and reply.provider_message_id:
        record_delivery_status(
            workspace,
            provider_message_id=reply.provider_message_id,
            status="failed",
            error_code="bounced",
            error_message=f"Bounced: {report.reason}",
        )
    logger.info(
        "bounce recorded",
        extra={"event": row.pk, "addresses": marked, "reply": reply.pk if reply else None},
    )
    who = ", ".join(marked) or ", ".join(report.recipients) or "an unknown address"
    note = f"Delivery report (bounce) for {who}: {report.reason}"
    if reply is not None:
        note += f" — reply {reply.pk} marked failed."
    return note
