"""Staff replies: written as a person, delivered once through the channel's adapter.

`send_reply` stores the reply (queued) and schedules `deliver_message`, which claims
it (queued -> sending, a conditional UPDATE: a task that runs twice sends once),
composes the outbound message with the author's name and signature, hands it to
the adapter and records the outcome: sent or delivered with the provider's id;
failed with the reason (a permanent error, or out of attempts); or queued again
with exponential backoff (a temporary error). `sweep_deliveries` gives back claims
a dead worker left and re-enqueues queued replies whose task was lost.

Before a provider is called, consent is checked (`core.consent.may_send`): a reply
to a number that texted STOP fails with "opted_out" and never reaches the provider.
A reply tried again after an attempt with an unknown outcome (a stale claim, a
timeout) first asks an adapter that can (`find_sent`) whether the provider already
has it, so it is recorded as sent rather than sent twice. `send_automatic_reply` is
how Frontdesk answers by itself (keyword replies, acknowledgements) through the same
delivery path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from frontdesk.connectors.base import (
    Connector,
    ConnectorError,
    DeliveryResult,
    OutboundAttachment,
    OutboundMessage,
)
from frontdesk.core import roles
from frontdesk.core.actions.contacts import set_consent
from frontdesk.core.consent import last_revocation, may_send, topic_for_identity_kind
from frontdesk.core.models import (
    AUTOMATED_SENDER_KINDS,
    ConsentStatus,
    Contact,
    ContactIdentity,
    Membership,
    Workspace,
    normalise_identity,
)
from frontdesk.core.pictures import CheckedFile, check_file
from frontdesk.inbox import kinds, live
from frontdesk.inbox.actions.common import InboxError, require, require_same_workspace
from frontdesk.inbox.actions.conversations import (
    _locked,
    inbox_settings_for,
    start_conversation,
    unanswered_since,
)
from frontdesk.inbox.actions.notifications import notify
from frontdesk.inbox.actions.reads import mark_conversation_read
from frontdesk.inbox.kinds import UnknownChannelKind, get_connector
from frontdesk.inbox.media import signed_media_url
from frontdesk.inbox.models import (
    REPLIES_ALLOWED_AFTER_OPT_OUT,
    SETTLING_AUTOMATIC_REASONS,
    Attachment,
    AutomaticReason,
    Channel,
    ComposerDraft,
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Message,
    MessageKind,
    MessagePart,
    NotificationKind,
)
from frontdesk.inbox.models.messages import OPTED_OUT_FAILURE_CODES

logger = logging.getLogger(__name__)

REPLY_MAX_LENGTH = 20_000
# Pictures a channel that "sends pictures" (an MMS) carries: what carriers show.
OUTBOUND_PICTURE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
MAX_DELIVERY_ATTEMPTS = 5
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
# A claim older than this belongs to a worker that died while sending.
SENDING_CLAIM_TIMEOUT = timedelta(minutes=5)
# A queued reply due this long ago whose task never ran (lost with a dead worker).
QUEUED_GRACE = timedelta(minutes=1)
# Error codes with which an adapter says the recipient has unsubscribed at the
# provider (Twilio 21610: they texted STOP to the number): recorded as an opt-out.
RECIPIENT_OPTED_OUT_CODES = OPTED_OUT_FAILURE_CODES
# Delivery reports that say nothing new to staff (the provider still has it).
IN_FLIGHT_STATUSES = frozenset({"queued", "accepted", "scheduled", "sending"})


def send_reply(
    conversation: Conversation,
    *,
    body: str,
    by: Membership,
    attachments: Iterable[File[Any]] = (),
    channel: Channel | None = None,
) -> Message:
    """Store a reply from `by` (queued) and deliver it after commit.

    Stamps the conversation's first response (once) and clears `waiting_since`.
    `attachments` are files (e.g. uploads) saved through Django's storage.
    `channel` is the way it goes (one of the workspace's channels that can answer,
    see `inbox.reach`: a text to a web-form patron who left only a phone number);
    None: the conversation's own channel.
    """
    require(by, roles.REPLY, workspace_id=conversation.workspace_id)
    body = (body or "").strip()
    files = list(attachments)
    if not body and not files:
        raise InboxError("Write a reply or attach a file.")
    if len(body) > REPLY_MAX_LENGTH:
        raise InboxError(f"Keep replies under {REPLY_MAX_LENGTH:,} characters.")
    if channel is None:
        channel = conversation.channel
    else:
        require_same_workspace(conversation.workspace_id, channel)
        try:
            adapter = kinds.get(channel.kind).adapter
        except UnknownChannelKind:
            raise InboxError(f"Replies can’t go through “{channel.name}”.") from None
        if not adapter.can("send") or not adapter.reply_identity_kind:
            raise InboxError(f"Replies can’t go through “{channel.name}”.")
    if not channel.is_active:
        raise InboxError(f"The channel “{channel.name}” is switched off; replies can’t go out.")
    _refuse_one_way_sender(conversation, channel)
    _refuse_undeliverable(conversation, channel)
    # Kept as check_file makes them: the type their bytes are (the stored name's
    # extension follows it), photos without their EXIF/GPS metadata.
    checked_files = [_checked(upload) for upload in files]
    _check_attachments(channel, checked_files)
    now = timezone.now()
    with transaction.atomic():
        _locked(conversation)
        message = Message.objects.create(
            workspace_id=conversation.workspace_id,
            conversation=conversation,
            kind=MessageKind.REPLY,
            author=by,
            body=body,
            channel=channel,
            status=DeliveryStatus.QUEUED,
            created_at=now,
        )
        for checked in checked_files:
            attachment = Attachment(
                workspace_id=conversation.workspace_id,
                message=message,
                filename=checked.filename[:255],
                content_type=checked.content_type[:120],
                size=len(checked.data),
            )
            attachment.file.save(attachment.filename, ContentFile(checked.data), save=False)
            attachment.save()
        record_answer(conversation, by=by, at=now)
        transaction.on_commit(lambda: _enqueue_delivery(message.pk))
        live.message_published(message)
        live.conversation_changed(conversation)
    logger.info("reply queued", extra={"conversation": conversation.pk, "message_id": message.pk})
    return message


def record_answer(conversation: Conversation, *, by: Membership, at: datetime) -> None:
    """A reply by `by` was just stored (inside the caller's transaction, the
    conversation locked): the conversation is answered. Stamps the first response
    (once), clears the wait, and marks it read for `by`, whose draft has done its job."""
    conversation.last_message_at = max(conversation.last_message_at, at)
    if conversation.first_response_at is None and conversation.last_customer_message_at:
        conversation.first_response_at = at
    conversation.waiting_since = None
    conversation.save(update_fields=["last_message_at", "first_response_at", "waiting_since"])
    mark_conversation_read(conversation, member=by, at=at)
    ComposerDraft.objects.filter(membership=by, conversation=conversation).delete()


def start_outbound_conversation(
    contact: Contact, *, channel: Channel, body: str, subject: str = "", by: Membership
) -> Conversation:
    """Write first: open a new conversation with `contact` on `channel` (a text or an
    email from their contact page) and send `body` as its first reply.

    Refuses (InboxError) a channel that cannot answer or a contact with no address
    it can reach, before anything is stored.
    """
    require(by, roles.REPLY, workspace_id=contact.workspace_id)
    require_same_workspace(contact.workspace_id, channel)
    try:
        adapter = kinds.get(channel.kind).adapter
    except UnknownChannelKind:
        raise InboxError(f"Nobody can be written to through “{channel.name}”.") from None
    identity_kind = adapter.reply_identity_kind
    if not adapter.can("send") or not identity_kind:
        raise InboxError(f"Nobody can be written to through “{channel.name}”.")
    if not ContactIdentity.objects.filter(contact=contact, kind=identity_kind).exists():
        raise InboxError(f"{contact.display_name} has no address “{channel.name}” can reach.")
    if not (body or "").strip():
        raise InboxError("Write a message first.")
    with transaction.atomic():
        conversation = start_conversation(
            contact.workspace, contact=contact, channel=channel, subject=subject
        )
        send_reply(conversation, body=body, by=by)
    return conversation


def _refuse_one_way_sender(conversation: Conversation, channel: Channel) -> None:
    """A customer known only as a short code or sender ID ("72345", "AMAZON") cannot
    be written back to: refuse before anything is stored (the composer says so too)."""
    try:
        reply_kind = kinds.get(channel.kind).adapter.reply_identity_kind
    except UnknownChannelKind:
        return
    held = set(
        ContactIdentity.objects.filter(contact_id=conversation.contact_id).values_list(
            "kind", flat=True
        )
    )
    if reply_kind in held or not held & AUTOMATED_SENDER_KINDS:
        return
    raise InboxError(
        f"{conversation.contact.display_name} is an automated sender (a short code or "
        "sender ID): it can’t receive replies."
    )


def _refuse_undeliverable(conversation: Conversation, channel: Channel) -> None:
    """An address a channel kind knows cannot receive (an email that bounced) is
    refused before anything is stored; the composer shows the same reason."""
    try:
        reply_kind = kinds.get(channel.kind).adapter.reply_identity_kind
    except UnknownChannelKind:
        return
    if not reply_kind:
        return
    value = reply_address(conversation, reply_kind) or ""
    problem = kinds.address_problem(conversation.workspace_id, reply_kind, value)
    if problem:
        raise InboxError(f"{value} can’t receive this reply: {problem}.")


def _checked(upload: File[Any]) -> CheckedFile:
    upload.seek(0)
    return check_file(
        upload.read(),
        content_type=getattr(upload, "content_type", "") or "",
        filename=upload.name or "file",
    )


def _check_attachments(channel: Channel, files: list[CheckedFile]) -> None:
    """Refuse files the channel cannot carry, before anything is stored: a picture a
    text channel cannot send must never show as delivered (Connector.sends_attachments)."""
    if not files:
        return
    try:
        support = kinds.get(channel.kind).adapter.sends_attachments
    except UnknownChannelKind:
        return
    if support == "none":
        raise InboxError(f"Files can’t be sent through “{channel.name}”: send the text alone.")
    if support == "pictures":
        others = [f.filename for f in files if f.content_type not in OUTBOUND_PICTURE_TYPES]
        if others:
            raise InboxError(
                f"Only pictures (JPEG, PNG, GIF) go by text; “{others[0]}” can’t be sent."
            )


def send_automatic_reply(
    conversation: Conversation,
    *,
    body: str,
    reason: str,
    trigger: Message,
    responder: Membership | None = None,
) -> Message | None:
    """Store a reply Frontdesk writes by itself (queued) and deliver it after commit.

    `reason` is an AutomaticReason; `trigger` the customer message it answers. At
    most one automatic message per trigger (a unique constraint): returns None if
    one exists already, so a task that runs twice answers once. It never stamps
    `first_response_at`: no person has answered. An answer that settles its text
    (SETTLING_AUTOMATIC_REASONS: a keyword reply, HELP, an opt-in or opt-out) takes
    that text off the customer's wait, so a texted HOURS leaves no one "waiting"; an
    acknowledgement does not. `responder` is the member the text names ("Maya will
    text you back"): the conversation is assigned to them (notified), so the
    promise is kept, as the web form's thank-you does.
    """
    if reason not in AutomaticReason.values:
        raise ValueError(f"unknown automatic reason {reason!r}")
    body = body.strip()[:REPLY_MAX_LENGTH]
    if not body:
        return None
    if responder is not None:
        require_same_workspace(conversation.workspace_id, responder)
    note = reason == AutomaticReason.OPT_OUT
    now = max(timezone.now(), trigger.created_at)
    try:
        with transaction.atomic():
            _locked(conversation)
            message = Message.objects.create(
                workspace_id=conversation.workspace_id,
                conversation=conversation,
                kind=MessageKind.NOTE if note else MessageKind.REPLY,
                body=body,
                channel=conversation.channel,
                status=DeliveryStatus.NOT_APPLICABLE if note else DeliveryStatus.QUEUED,
                created_at=now,
                automatic=reason,
                automatic_for=trigger,
            )
            conversation.last_message_at = max(conversation.last_message_at, now)
            fields = ["last_message_at"]
            waiting = conversation.waiting_since
            if (
                reason in SETTLING_AUTOMATIC_REASONS
                and waiting is not None
                and waiting >= trigger.created_at
            ):
                # This text started the wait and is now settled: the wait is whatever
                # else of theirs is unanswered (usually nothing).
                conversation.waiting_since = unanswered_since(conversation)
                fields.append("waiting_since")
            assigned = responder is not None and conversation.assignee_id != responder.pk
            if assigned:
                conversation.assignee = responder
                fields.append("assignee")
            conversation.save(update_fields=fields)
            if assigned and responder is not None:
                notify(
                    responder,
                    kind=NotificationKind.ASSIGNED,
                    conversation=conversation,
                    actor=None,  # the system, keeping the acknowledgement's promise
                )
            if not note:
                transaction.on_commit(lambda: _enqueue_delivery(message.pk))
            live.message_published(message)
            live.conversation_changed(conversation)
    except IntegrityError:
        return None  # this trigger was answered already
    logger.info(
        "automatic message stored",
        extra={"conversation": conversation.pk, "message_id": message.pk, "reason": reason},
    )
    return message


def _enqueue_delivery(message_id: int, *, delay: timedelta | None = None) -> None:
    from frontdesk.inbox import tasks

    if delay:
        tasks.deliver_message.schedule((message_id,), delay=delay.total_seconds())
    else:
        tasks.deliver_message(message_id)


def reply_address(conversation: Conversation, kind: str) -> str | None:
    """Where a reply on this channel goes: the address the customer last wrote from,
    if it is of the kind this channel reaches, else their newest address of that kind."""
    contact = conversation.contact
    # The contact's identities as loaded (the conversation page prefetches them once
    # for every route): one query here, the last sender's, not three per kind.
    identities = [i for i in contact.identities.all() if i.kind == kind]
    last_sender = (
        Message.objects.filter(
            conversation=conversation,
            kind=MessageKind.INCOMING,
            inbound_event__sender_kind=kind,
        )
        .order_by("-created_at", "-id")
        .values_list("inbound_event__sender_address", flat=True)
        .first()
    )
    if last_sender:
        try:
            value = normalise_identity(
                kind, last_sender, default_country=conversation.workspace.default_country
            )
        except ValidationError:
            value = None
        if value and any(identity.value == value for identity in identities):
            return value
    newest = max(identities, key=lambda i: (i.created_at, i.pk), default=None)
    return newest.value if newest is not None else None


def _reply_subject(conversation: Conversation) -> str:
    subject = conversation.subject.strip()
    if not subject:
        return f"Your message to {conversation.workspace.name}"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _sign_off(author: Membership | None, style: str, workspace: Workspace) -> str:
    if author is None:
        return ""
    if style == "signature":
        return author.signature.strip()
    if style == "short" and inbox_settings_for(workspace).sms_sign_with_first_name:
        if author.sms_sign_off.strip():
            return author.sms_sign_off.strip()
        return f"– {author.first_name}" if author.first_name else ""
    return ""


def compose_outbound(message: Message) -> OutboundMessage:
    """What the adapter sends for this reply: the author as the sender, their
    signature on email-like channels, and on SMS-like channels their short sign-off
    or first name when the workspace turned that on; threaded onto the last message."""
    conversation = message.conversation
    workspace = conversation.workspace
    channel = message.channel or conversation.channel
    connector = get_connector(channel.kind)
    author = message.author
    thread_key = (
        Message.objects.filter(conversation=conversation, provider_message_id__isnull=False)
        .exclude(pk=message.pk)
        .exclude(provider_message_id="")
        .order_by("-created_at", "-id")
        .values_list("provider_message_id", flat=True)
        .first()
    )
    files = []
    for attachment in message.attachments.all():
        if attachment.file:
            with attachment.file.open("rb") as handle:
                data = handle.read()
            files.append(
                OutboundAttachment(
                    filename=attachment.filename,
                    content_type=attachment.content_type or "application/octet-stream",
                    data=data,
                    # For a provider that fetches files itself (an MMS).
                    url=signed_media_url(attachment)
                    if connector.sends_attachments == "pictures"
                    else None,
                )
            )
    outbound = OutboundMessage(
        to_address=reply_address(conversation, connector.reply_identity_kind),
        to_name=conversation.contact.name,
        body=message.body,
        subject=_reply_subject(conversation),
        sender_display_name=author.display_name if author else workspace.name,
        signature=_sign_off(author, connector.sign_off, workspace),
        reply_to=None,  # a channel kind's compose hook gives one (email: desk+code@…)
        thread_key=thread_key,
        attachments=tuple(files),
    )
    # What a channel kind adds for replies of this kind (email: Reply-To, References,
    # CC, the conversation's reference), see ChannelKind.compose.
    for compose in kinds.composers_for(channel.kind):
        outbound = compose(message, outbound)
    return outbound


def backoff_for(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, ... at most an hour."""
    wait: timedelta = min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_MAX)
    return wait


def deliver_message(message_id: int) -> Message | None:
    """Hand one queued reply to its channel's adapter, at most once per claim.

    Returns the message with its new status, or None if it was not queued (already
    sent, being sent, or not due yet). Call outside a transaction: the claim must be
    committed before the provider is called.
    """
    now = timezone.now()
    claimed = (
        Message.objects.filter(pk=message_id, kind=MessageKind.REPLY, status=DeliveryStatus.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    message = Message.objects.select_related(
        "conversation__contact",
        "conversation__workspace",
        "conversation__channel__workspace",
        "channel__workspace",
        "author",
    ).get(pk=message_id)
    channel = message.channel or message.conversation.channel
    try:
        kind = kinds.get(channel.kind)
        connector = kind.connector()
        refusal = _consent_refusal(message, connector)
        if refusal is not None:
            return _record_failure(message, refusal, claimed_at=now)
        outbound = compose_outbound(message)
        account = kind.account_for(channel)
        result = (
            _already_sent(message, connector, account, outbound) if message.attempts > 1 else None
        )
        if result is None:
            result = connector.send(account, outbound)
    except ConnectorError as exc:
        if exc.code in RECIPIENT_OPTED_OUT_CODES:
            _record_provider_opt_out(message, connector, exc)
        return _record_failure(message, exc, claimed_at=now)
    except UnknownChannelKind:
        error = ConnectorError(
            f"No adapter for “{channel.kind}” channels.", permanent=True, code="unknown_channel"
        )
        return _record_failure(message, error, claimed_at=now)
    except Exception as exc:
        # A bug or an unexpected library error: retried like a temporary failure, and
        # logged with its traceback, so it neither loses the reply nor loops forever.
        logger.exception("reply delivery crashed", extra={"message_id": message.pk})
        error = ConnectorError(f"Internal error: {type(exc).__name__}", permanent=False)
        return _record_failure(message, error, claimed_at=now, code="internal")
    # A provider's "queued" means it has taken the message: for us that is sent.
    status = DeliveryStatus.DELIVERED if result.status == "delivered" else DeliveryStatus.SENT
    done = timezone.now()
    with transaction.atomic():
        recorded = Message.objects.filter(
            pk=message.pk, status=DeliveryStatus.SENDING, claimed_at=now
        ).update(
            status=status,
            provider_message_id=result.provider_message_id[:255] or None,
            sent_at=done,
            delivered_at=done if status == DeliveryStatus.DELIVERED else None,
            failure_reason="",
            failure_code="",
            next_attempt_at=None,
        )
        if recorded:
            _record_parts(message, result.part_ids, status)
    message.refresh_from_db()
    if recorded:
        _note_reply_outcome(message)
    live.message_published(message, event_type="message.updated")
    logger.info("reply delivered", extra={"message_id": message.pk, "status": status})
    return message


def _note_reply_outcome(message: Message) -> None:
    """Keep the conversation honest after a person's reply changed state: while the
    newest such reply has failed, `reply_failed_at` marks the conversation and the
    customer is waiting again (from their first unanswered message), so it does not
    sink as if answered; a retry or a reply that goes through clears the mark."""
    if message.kind != MessageKind.REPLY or message.author_id is None:
        return  # automatic answers answer nobody: they change neither
    conversation = message.conversation
    with transaction.atomic():
        _locked(conversation)
        conversation.refresh_from_db(fields=["reply_failed_at"])
        newest = (
            Message.objects.filter(
                conversation=conversation, kind=MessageKind.REPLY, author__isnull=False
            )
            .order_by("-created_at", "-id")
            .values_list("status", flat=True)
            .first()
        )
        failed = newest == DeliveryStatus.FAILED
        failed_at = (conversation.reply_failed_at or timezone.now()) if failed else None
        waiting = conversation.waiting_since
        if conversation.status != ConversationStatus.RESOLVED:
            waiting = unanswered_since(conversation)
        if (failed_at, waiting) == (conversation.reply_failed_at, conversation.waiting_since):
            return
        conversation.reply_failed_at, conversation.waiting_since = failed_at, waiting
        conversation.save(update_fields=["reply_failed_at", "waiting_since"])
        live.conversation_changed(conversation)


def _record_parts(message: Message, part_ids: tuple[str, ...], status: str) -> None:
    """Remember each part of a reply sent in several, for their delivery reports (a
    retried reply's earlier parts are forgotten: the new send is what counts)."""
    MessagePart.objects.filter(message=message).delete()
    if len(part_ids) < 2:
        return
    MessagePart.objects.bulk_create(
        MessagePart(
            workspace_id=message.workspace_id,
            message=message,
            number=number,
            provider_message_id=part_id[:255],
            status=status,
        )
        for number, part_id in enumerate(part_ids, 1)
    )


def _consent_refusal(message: Message, connector: Connector[Any]) -> ConnectorError | None:
    """Why this reply must not go out (the contact opted out of this channel), or None."""
    topic = topic_for_identity_kind(connector.reply_identity_kind)
    if topic is None or message.automatic in REPLIES_ALLOWED_AFTER_OPT_OUT:
        return None
    contact = message.conversation.contact
    if may_send(contact, topic):
        return None
    contact.refresh_from_db(fields=[f"{topic}_consent"])
    revoked = last_revocation(contact, topic)
    texted_stop = revoked is not None and revoked.source.startswith("SMS keyword")
    text = "Not sent: this person texted STOP" if texted_stop else "Not sent: this person opted out"
    return ConnectorError(text, permanent=True, code="opted_out")


def _already_sent(
    message: Message, connector: Connector[Any], account: Any, outbound: OutboundMessage
) -> DeliveryResult | None:
    """The provider's copy of a reply an earlier attempt may have handed over, if any.

    Only adapters with `find_sent` can tell; for others a retry after an unknown
    outcome may send twice (at-least-once). A provider message already recorded on
    another reply is not this one (two identical texts to one number).
    """
    if not connector.can("find_sent"):
        return None
    found = connector.find_sent(account, outbound, since=message.created_at)
    if found is None or not found.provider_message_id:
        return None
    taken = (
        Message.objects.filter(
            workspace_id=message.workspace_id, provider_message_id=found.provider_message_id
        )
        .exclude(pk=message.pk)
        .exists()
    )
    if taken:
        return None
    logger.info(
        "reply found already sent; not sending again",
        extra={"message_id": message.pk, "provider_message_id": found.provider_message_id},
    )
    return found


def _record_provider_opt_out(
    message: Message, connector: Connector[Any], error: ConnectorError
) -> None:
    """The provider refused because the recipient unsubscribed there: record the opt-out."""
    topic = topic_for_identity_kind(connector.reply_identity_kind)
    if topic is None:
        return
    set_consent(
        message.conversation.contact,
        topic=topic,
        status=ConsentStatus.REVOKED,
        source=f"Provider: recipient unsubscribed (error {error.code})",
        by=None,  # the system, on the provider's word
    )


def _record_failure(
    message: Message, error: ConnectorError, *, claimed_at: datetime, code: str | None = None
) -> Message:
    attempts = message.attempts  # read after the claim: counts this attempt
    final = error.permanent or attempts >= MAX_DELIVERY_ATTEMPTS
    fields: dict[str, object] = {
        "failure_reason": error.message[:500],
        "failure_code": (code or error.code or "")[:64],
    }
    delay = None if final else backoff_for(attempts)
    if delay is None:
        fields |= {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
    else:
        fields |= {"status": DeliveryStatus.QUEUED, "next_attempt_at": timezone.now() + delay}
    Message.objects.filter(
        pk=message.pk, status=DeliveryStatus.SENDING, claimed_at=claimed_at
    ).update(**fields)
    if delay is not None:
        _enqueue_delivery(message.pk, delay=delay)
    message.refresh_from_db()
    if message.status == DeliveryStatus.FAILED:
        _note_reply_outcome(message)
    live.message_published(message, event_type="message.updated")
    logger.warning(
        "reply delivery failed",
        extra={
            "message_id": message.pk,
            "final": final,
            "attempts": attempts,
            "code": fields["failure_code"],
        },
    )
    return message


def retry_delivery(message: Message, *, by: Membership) -> Message:
    """Send a failed reply again (a person decided to; attempts start over)."""
    require(by, roles.REPLY, workspace_id=message.workspace_id)
    if message.kind != MessageKind.REPLY:
        raise InboxError("Only replies are delivered.")
    if message.failure_code in OPTED_OUT_FAILURE_CODES:
        raise InboxError(
            "They opted out, so this reply can’t be sent again. Once they opt in "
            "(texting START), write a new reply."
        )
    with transaction.atomic():
        changed = Message.objects.filter(pk=message.pk, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.QUEUED,
            attempts=0,
            next_attempt_at=None,
            failure_reason="",
            failure_code="",
            claimed_at=None,
        )
        if not changed:
            raise InboxError("Only a failed reply can be sent again.")
        message.refresh_from_db()
        _note_reply_outcome(message)
        transaction.on_commit(lambda: _enqueue_delivery(message.pk))
        live.message_published(message, event_type="message.updated")
    return message


def record_delivery_status(
    workspace: Workspace,
    *,
    provider_message_id: str,
    status: str,
    error_code: str | None = None,
    error_message: str | None = None,
) -> Message | None:
    """Apply a provider's delivery report (sent, delivered, failed/undelivered).

    Returns the reply it concerns, or None for an id we never sent. A report never
    moves a delivered reply back to sent; "queued", "accepted", "sending" change
    nothing. A failure shows the provider's error text and code to staff ("Unknown
    destination handset (error 30005)"); a code saying the recipient unsubscribed
    records their opt-out.
    """
    message = (
        Message.objects.for_workspace(workspace)
        .filter(provider_message_id=provider_message_id, kind=MessageKind.REPLY)
        .select_related("conversation")
        .first()
    )
    part = (
        MessagePart.objects.for_workspace(workspace)
        .filter(provider_message_id=provider_message_id, message__kind=MessageKind.REPLY)
        .select_related("message__conversation")
        .first()
    )
    if message is None and part is not None:
        message = part.message
    if message is None:
        return None
    if status in IN_FLIGHT_STATUSES:
        return message
    if part is not None:
        reported, error_code, error_message = _report_for_parts(
            part, status=status, error_code=error_code, error_message=error_message
        )
        if reported is None:  # parts still on their way: nothing new for staff
            return message
        status = reported
    now = timezone.now()
    rows = Message.objects.filter(pk=message.pk)
    if status == "delivered":
        # Proof it arrived: an earlier failure report (out of order) no longer applies.
        rows.update(
            status=DeliveryStatus.DELIVERED, delivered_at=now, failure_code="", failure_reason=""
        )
    elif status == "sent":
        rows.filter(status__in=[DeliveryStatus.SENDING, DeliveryStatus.QUEUED]).update(
            status=DeliveryStatus.SENT, sent_at=now
        )
    elif status in ("failed", "undelivered"):
        reason = (error_message or "").strip() or "The provider could not deliver it."
        if error_code and error_code not in reason:
            reason = f"{reason.rstrip('.')} (error {error_code})"
        rows.update(
            status=DeliveryStatus.FAILED,
            failure_code=(error_code or "")[:64],
            failure_reason=reason[:500],
        )
        if error_code in RECIPIENT_OPTED_OUT_CODES:
            _record_report_opt_out(message, error_code)
    else:
        raise InboxError(f"Unknown delivery status {status!r}.")
    message.refresh_from_db()
    _note_reply_outcome(message)
    live.message_published(message, event_type="message.updated")
    return message


def _report_for_parts(
    part: MessagePart, *, status: str, error_code: str | None, error_message: str | None
) -> tuple[str | None, str | None, str | None]:
    """Record one part's report; returns the report the whole reply gets now: failed
    when any part failed (naming it), delivered when every part is, else None."""
    if status in ("failed", "undelivered"):
        MessagePart.objects.filter(pk=part.pk).update(
            status=DeliveryStatus.FAILED,
            failure_code=(error_code or "")[:64],
            failure_reason=(error_message or "")[:500],
        )
    elif status == "delivered":
        MessagePart.objects.filter(pk=part.pk).exclude(status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.DELIVERED
        )
    parts = list(MessagePart.objects.filter(message_id=part.message_id).order_by("number"))
    failed = next((p for p in parts if p.status == DeliveryStatus.FAILED), None)
    if failed is not None:
        reason = failed.failure_reason.strip() or "The provider could not deliver it."
        return (
            "failed",
            failed.failure_code or None,
            f"Part {failed.number} of {len(parts)} was not delivered: {reason}",
        )
    if all(p.status == DeliveryStatus.DELIVERED for p in parts):
        return "delivered", None, None
    return None, None, None


def _record_report_opt_out(message: Message, code: str) -> None:
    channel = message.channel or message.conversation.channel
    try:
        connector = get_connector(channel.kind)
    except UnknownChannelKind:
        return
    topic = topic_for_identity_kind(connector.reply_identity_kind)
    if topic is not None:
        set_consent(
            message.conversation.contact,
            topic=topic,
            status=ConsentStatus.REVOKED,
            source=f"Provider: recipient unsubscribed (error {code})",
            by=None,  # the system, on the provider's word
        )


def sweep_deliveries(*, now: datetime | None = None) -> int:
    """Give back stale sending claims and re-enqueue queued replies that are due.

    A claim older than SENDING_CLAIM_TIMEOUT belongs to a worker that died while
    sending (the provider may or may not have it): the next attempt asks an adapter
    with `find_sent` first, so those send once; others are at-least-once in that case.
    Returns how many replies were enqueued.
    """
    now = now or timezone.now()
    Message.objects.filter(
        kind=MessageKind.REPLY,
        status=DeliveryStatus.SENDING,
        claimed_at__lt=now - SENDING_CLAIM_TIMEOUT,
    ).update(status=DeliveryStatus.QUEUED, claimed_at=None, next_attempt_at=None)
    due = list(
        Message.objects.filter(kind=MessageKind.REPLY, status=DeliveryStatus.QUEUED)
        .filter(
            Q(next_attempt_at__lte=now - QUEUED_GRACE)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - QUEUED_GRACE)
        )
        .order_by("id")
        .values_list("pk", flat=True)[:500]
    )
    for pk in due:
        _enqueue_delivery(pk)
    return len(due)
