"""The sending engine: claim due deliveries, render, send, record — exactly once.

How a delivery moves (`DeliveryState`):

1. `claim_deliveries`: one conditional UPDATE takes a batch of due `queued` rows
   (campaign sending, not paused; `next_attempt_at` passed) to `claimed`, stamped
   with this batch's random claim token and the time. On PostgreSQL the candidate
   rows are locked FOR UPDATE SKIP LOCKED, so workers claiming together take
   disjoint batches; SQLite runs one writing statement at a time.
2. For each row: suppressed address, revoked consent or an unsubscribed topic (of
   its campaign or notice) make it `suppressed`; otherwise it is rendered and
   handed to the email adapter's `BulkSender` in waves of up to
   `OUTREACH_CONNECTIONS` messages, one SMTP connection each (kept for the whole
   sending loop): the commands of a wave's messages go out together, so the
   server's answers overlap.
3. The commit point: once every message of the wave is written up to the "." that
   ends its DATA, one transaction moves their rows `claimed` -> `sending`, *only
   those still holding this batch's token*; then the dots. A row whose claim a
   sweep gave away is abandoned mid-DATA (the server discards it), never sent twice.
4. After the server's 250 the rows are marked `sent` + `confirmed` (one UPDATE
   per `CONFIRM_EVERY`). A 4xx/5xx answer to the dot puts the row back to `queued`
   (retry with backoff) or `failed`.

After a crash (`sweep`): `claimed` rows older than the claim timeout go back to
`queued` (their dot was never sent, so the server has nothing). `sending` rows
are *not* sent again: the dot went out right after their commit, so the server
almost surely has them; they become `sent` with confirmed = False. What remains
is the few microseconds between that commit and the dot's `send()`: a kill exactly
there leaves a message recorded as handed over that the server discarded. The
deterministic Message-ID (`<idempotency key@domain>`) lets a receiving system
recognise the same message if an operator ever re-sends one.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Field, Q
from django.utils import timezone

from frontdesk.connectors.base import ConnectorError, OutboundMessage
from frontdesk.connectors.email.adapter import EmailAccount
from frontdesk.connectors.email.bulk import BulkSender, Outgoing
from frontdesk.connectors.email.htmltext import html_to_text
from frontdesk.core.models import ConsentStatus, ContactIdentity
from frontdesk.inbox import kinds
from frontdesk.outreach import links, render, tokens
from frontdesk.outreach.links import public_url
from frontdesk.outreach.models import (
    Campaign,
    CampaignStatus,
    ContactData,
    Delivery,
    DeliveryState,
    MessageKind,
    Notice,
    OutreachSettings,
    SenderIdentity,
    Subscription,
    SubscriptionStatus,
    Suppression,
    Template,
    Topic,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
CONFIRM_EVERY = 100  # sent rows marked `sent` + confirmed in one UPDATE
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def claim_deliveries(
    *, limit: int = BATCH_SIZE, now: datetime | None = None
) -> tuple[str, list[int]]:
    """Claim up to `limit` due queued deliveries; returns (claim token, their ids)."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    alias = router.db_for_write(Delivery)
    connection = connections[alias]
    table = connection.ops.quote_name(Delivery._meta.db_table)
    campaigns = connection.ops.quote_name(Campaign._meta.db_table)
    at = Delivery._meta.get_field("claimed_at").get_db_prep_save(now, connection)
    if not connection.features.can_return_columns_from_insert:
        with transaction.atomic(using=alias):
            ids = list(_due(now).values_list("pk", flat=True)[:limit])
            Delivery.objects.filter(pk__in=ids).update(
                state=DeliveryState.CLAIMED, claimed_at=now, claim_token=token
            )
        return token, sorted(ids)
    lock = (
        " FOR UPDATE OF d SKIP LOCKED"
        if connection.features.has_select_for_update_skip_locked
        else ""
    )
    sql = (
        f"UPDATE {table} SET state = %s, claimed_at = %s, claim_token = %s "  # noqa: S608
        f"WHERE id IN (SELECT d.id FROM {table} d LEFT JOIN {campaigns} c ON c.id = d.campaign_id "
        "WHERE d.state = %s AND d.next_attempt_at <= %s "
        "AND (d.campaign_id IS NULL OR c.status = %s) "
        f"ORDER BY d.next_attempt_at, d.id LIMIT %s{lock}) RETURNING id"
    )
    params = [
        DeliveryState.CLAIMED,
        at,
        token,
        DeliveryState.QUEUED,
        at,
        CampaignStatus.SENDING,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return token, sorted(pk for (pk,) in cursor.fetchall())


def _due(now: datetime) -> Any:
    return (
        Delivery.objects.filter(state=DeliveryState.QUEUED, next_attempt_at__lte=now)
        .filter(Q(campaign__isnull=True) | Q(campaign__status=CampaignStatus.SENDING))
        .order_by("next_attempt_at", "pk")
    )


@dataclasses.dataclass
class _Job:
    delivery: Delivery
    sender: SenderIdentity
    template: Template
    data: dict[str, Any]


class _RateLimit:
    """At most `rate` messages a second (0: no limit), for one sending account."""

    def __init__(self, rate: int) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


class Connections:
    """The SMTP connections of one sending loop, kept from one claimed batch to the
    next: {(channel id, From address): BulkSender}."""

    def __init__(self) -> None:
        self.senders: dict[tuple[int, str], BulkSender] = {}

    def get(self, channel_id: int, account: EmailAccount) -> BulkSender:
        key = (channel_id, account.address)
        bulk = self.senders.get(key)
        if bulk is None or bulk.account != account:
            if bulk is not None:
                bulk.close()
            bulk = BulkSender(account, connections=settings.OUTREACH_CONNECTIONS)
            self.senders[key] = bulk
        return bulk

    def close(self) -> None:
        for bulk in self.senders.values():
            bulk.close()
        self.senders.clear()


def send_claimed(
    token: str,
    ids: list[int],
    *,
    claimed_at: float | None = None,
    pool: Connections | None = None,
) -> int:
    """Send the deliveries this claim holds; returns how many were sent.
    `claimed_at` is the claim's time.monotonic(); `pool` the loop's SMTP connections
    (by default opened for this batch and closed after it)."""
    own = pool is None
    pool = pool or Connections()
    try:
        return _send_claimed(token, ids, claimed_at=claimed_at, pool=pool)
    finally:
        if own:
            pool.close()


def _send_claimed(
    token: str, ids: list[int], *, claimed_at: float | None, pool: Connections
) -> int:
    claimed_at = time.monotonic() if claimed_at is None else claimed_at
    rows = list(
        Delivery.objects.filter(pk__in=ids, claim_token=token, state=DeliveryState.CLAIMED)
        .select_related(
            "workspace",
            "contact",
            "campaign__sender__member",
            "campaign__template",
            "campaign__topic",
            "notice__sender__member",
            "notice__template",
            "notice__topic",
        )
        .order_by("pk")
    )
    if not rows:
        return 0
    blocked = _blocked(rows)
    jobs: list[_Job] = []
    for row in rows:
        if row.pk in blocked:
            _finish(row, token, state=DeliveryState.SUPPRESSED, error=blocked[row.pk])
            continue
        source: Any = row.campaign or row.notice
        data = dict(row.notice.data) if row.notice is not None else {}
        jobs.append(_Job(row, source.sender, source.template, data))
    custom = dict(
        ContactData.objects.filter(
            contact_id__in=[j.delivery.contact_id for j in jobs]
        ).values_list("contact_id", "fields")
    )
    sent = 0
    by_channel: dict[tuple[str, int | None], list[_Job]] = {}
    for job in jobs:
        channel_id = (
            job.sender.email_channel_id
            if job.delivery.kind == MessageKind.EMAIL
            else job.sender.sms_channel_id
        )
        by_channel.setdefault((job.delivery.kind, channel_id), []).append(job)
    for (kind, channel_id), group in by_channel.items():
        if channel_id is None:
            for job in group:
                _finish(
                    job.delivery,
                    token,
                    state=DeliveryState.FAILED,
                    error="The sender identity has no channel to send this kind of message.",
                )
            continue
        if kind == MessageKind.EMAIL:
            sent += _send_email_group(token, channel_id, group, custom, claimed_at, pool)
        else:
            sent += _send_sms_group(token, channel_id, group, custom)
    return sent


def _blocked(rows: list[Delivery]) -> dict[int, str]:
    """{delivery id: why it must not be sent}: suppressed address, revoked consent,
    an unsubscribed (or unconfirmed double opt-in) topic. Read now, right before
    sending, so a STOP or an unsubscribe a second ago counts."""
    found: dict[int, str] = {}
    by_ws: dict[int, set[str]] = {}
    for row in rows:
        by_ws.setdefault(row.workspace_id, set()).add(row.address)
    suppressed: dict[tuple[int, str], str] = {}
    for ws, addresses in by_ws.items():
        for address, reason in Suppression.objects.filter(
            workspace_id=ws, address__in=addresses
        ).values_list("address", "reason"):
            suppressed[(ws, address)] = reason
    topics = {topic.pk for row in rows if (topic := topic_of(row)) is not None}
    subscriptions: dict[tuple[int, int], str] = {}
    if topics:
        for contact_id, topic_id, chosen in Subscription.objects.filter(
            topic_id__in=topics, contact_id__in=[r.contact_id for r in rows]
        ).values_list("contact_id", "topic_id", "status"):
            subscriptions[(contact_id, topic_id)] = chosen
    for row in rows:
        why = suppressed.get((row.workspace_id, row.address))
        if why:
            found[row.pk] = f"Suppressed address ({why})."
            continue
        consent = (
            row.contact.sms_consent if row.kind == MessageKind.SMS else row.contact.email_consent
        )
        if consent == ConsentStatus.REVOKED:
            found[row.pk] = f"{row.get_kind_display()} consent revoked."
            continue
        topic = topic_of(row)
        if topic is not None:
            status = subscriptions.get((row.contact_id, topic.pk))
            if status == SubscriptionStatus.UNSUBSCRIBED:
                found[row.pk] = f"Unsubscribed from {topic.name}."
            elif topic.double_opt_in and status != SubscriptionStatus.SUBSCRIBED:
                found[row.pk] = f"Not confirmed for {topic.name} (double opt-in)."
    return found


def topic_of(delivery: Delivery) -> Topic | None:
    """The topic a delivery's campaign or notice belongs to, if any."""
    source: Campaign | Notice | None = delivery.campaign or delivery.notice
    return source.topic if source is not None else None


def sender_of(delivery: Delivery) -> SenderIdentity | None:
    """Who wrote the message a delivery carried (its campaign's or notice's sender)."""
    source: Campaign | Notice | None = delivery.campaign or delivery.notice
    return source.sender if source is not None else None


def context_for(
    job_delivery: Delivery, sender: SenderIdentity, data: dict[str, Any], custom: dict[str, Any]
) -> render.Context:
    contact = job_delivery.contact
    name = contact.name.strip()
    email = job_delivery.address if job_delivery.kind == MessageKind.EMAIL else ""
    phone = job_delivery.address if job_delivery.kind == MessageKind.SMS else ""
    return {
        "contact": {
            "name": name,
            "first_name": name.split()[0] if name else "",
            "email": email,
            "phone": phone,
        },
        "custom": custom,
        "item": data.get("item") or {},
        "event": data.get("event") or {},
        "sender": {
            "name": sender.name,
            "first_name": sender.name.split()[0] if sender.name.strip() else "",
            "title": sender.title,
        },
        "library": {"name": job_delivery.workspace.name},
    }


def sms_sign_off(sender: SenderIdentity, body: str) -> str:
    """How a text from `sender` ends, so it names its person like an email does: the
    member's own short sign-off ("– Maya"), else "– " and the sender's first name;
    "" when the text already names them (a template with {{ sender.name }})."""
    first = sender.name.split()[0] if sender.name.strip() else ""
    own = sender.member.sms_sign_off.strip() if sender.member_id else ""
    sign_off = own or (f"– {first}" if first else "")
    if not sign_off or sign_off in body or (first and re.search(rf"\b{re.escape(first)}\b", body)):
        return ""
    return sign_off


@dataclasses.dataclass(frozen=True)
class Composed:
    message: OutboundMessage
    html: str
    headers: dict[str, str]


def compose_email(
    delivery: Delivery,
    sender: SenderIdentity,
    template: Template,
    context: render.Context,
    *,
    account_domain: str,
    reply_address: str,
    physical_address: str,
    tracking: bool = False,
) -> Composed:
    """The mail for one delivery: personalised subject, HTML and text, the person's
    name and signature, Reply-To routing home, RFC 8058 List-Unsubscribe, a footer.
    `tracking` (the workspace counts opens and clicks; never for a preview or a test
    send): the HTML part's links lead through click links and it carries the open
    pixel (`links.instrument`). The text part keeps the links as written: there the
    reader sees the address itself, and a plain-text reader is not counted anyway."""
    unsubscribe = public_url("outreach-public:unsubscribe", tokens.sign("unsubscribe", delivery.pk))
    preferences = public_url("outreach-public:preferences", tokens.sign("preferences", delivery.pk))
    body_html = render.render(template.html, context, escape=True)
    footer_text = f"Unsubscribe: {unsubscribe}\nYour choices: {preferences}"
    if physical_address.strip():
        footer_text += "\n" + physical_address.strip()
    footer_html = (
        '<p style="color:#666;font-size:12px;margin-top:2em">'
        f'<a href="{unsubscribe}">Unsubscribe</a> · <a href="{preferences}">Your choices</a>'
        + (
            "<br>" + "<br>".join(_escape(physical_address).splitlines())
            if physical_address.strip()
            else ""
        )
        + "</p>"
    )
    signature = sender.signature.strip() or "\n".join(x for x in (sender.name, sender.title) if x)
    signature_html = "<br>".join(_escape(signature).splitlines())
    html = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>\n'
        f"{body_html}\n"
        f'<div class="signature">-- <br>\n{signature_html}</div>\n'
        f"{footer_html}\n</body></html>\n"
    )
    if tracking:
        html = links.instrument(html, delivery.pk)
    text = html_to_text(body_html).strip() + "\n"
    message = OutboundMessage(
        to_address=delivery.address,
        to_name=delivery.contact.name,
        subject=render.render(template.subject, context, escape=False),
        body=text,
        sender_display_name=sender.name,
        signature=signature + "\n\n" + footer_text,
        reply_to=reply_address,
        message_id=f"<{delivery.idempotency_key}@{account_domain}>",
    )
    local, _, domain = reply_address.rpartition("@")
    headers = {
        # RFC 8058: an https URI answering a POST "List-Unsubscribe=One-Click", and a
        # mailto for clients that prefer mail.
        "List-Unsubscribe": (
            f"<{unsubscribe}>, <mailto:{local.split('+')[0]}@{domain}?subject=unsubscribe>"
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    if delivery.campaign_id:
        headers["List-Id"] = f"<campaign-{delivery.campaign_id}.{account_domain}>"
        headers["Precedence"] = "bulk"
    return Composed(message, html, headers)


def _escape(text: str) -> str:
    import html as html_module

    return html_module.escape(text)


@functools.cache
def _handover_statement(alias: str) -> str:
    """`_Handover`'s UPDATE of one delivery for the database `alias` (a Django
    cursor's `%s` parameters), named from the model."""
    quote = connections[alias].ops.quote_name
    meta = Delivery._meta

    def column(name: str) -> str:
        field = meta.get_field(name)
        assert isinstance(field, Field) and field.column
        return quote(field.column)

    table = quote(meta.db_table)
    assignments = ", ".join(
        f"{column(name)} = %s" for name in ("state", "sent_at", "provider_message_id", "attempts")
    )
    conditions = " AND ".join(f"{column(name)} = %s" for name in ("id", "state", "claim_token"))
    # Identifiers from the model, quoted; every value is a parameter.
    return f"UPDATE {table} SET {assignments} WHERE {conditions}"  # noqa: S608


@functools.cache
def _wave_statement(alias: str) -> str:
    """`_Handover`'s UPDATE of a whole wave for libpq on PostgreSQL: $1 the new state,
    $2 the time, $3 the state expected, $4 the claim token, $5..$7 arrays of ids,
    Message-IDs and attempts; returns the ids it moved."""
    quote = connections[alias].ops.quote_name
    meta = Delivery._meta

    def column(name: str) -> str:
        field = meta.get_field(name)
        assert isinstance(field, Field) and field.column
        return quote(field.column)

    table = quote(meta.db_table)
    pk = column("id")
    # Identifiers from the model, quoted; every value is a parameter.
    return (
        f"UPDATE {table} SET {column('state')} = $1, {column('sent_at')} = $2, "  # noqa: S608
        f"{column('provider_message_id')} = v.mid, {column('attempts')} = v.attempts "
        "FROM unnest($5::bigint[], $6::text[], $7::integer[]) AS v(id, mid, attempts) "
        f"WHERE {table}.{pk} = v.id AND {table}.{column('state')} = $3 "
        f"AND {table}.{column('claim_token')} = $4 RETURNING {table}.{pk}"
    )


def _pg_array(values: Iterable[str]) -> bytes:
    """A PostgreSQL array literal (text form) of `values`, each quoted."""
    quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return ("{" + ",".join(quoted) + "}").encode()


class _Handover:
    """The commit point of a wave of deliveries: `claimed` -> `sending`, only with our
    claim, in one transaction, right before the wave's final dots (`BulkSender.send_many`).

    On PostgreSQL the UPDATE is sent without waiting for its answer (libpq, the
    connection in autocommit) and read in `settle`, right after the dots: the server
    commits it whether or not this process lives to read the answer, and no wait
    (for the database's reply, then for a CPU on a busy machine) lies between the
    commit and the dots. Elsewhere (SQLite, in-process) the UPDATEs run at once, in
    one transaction, and only the deliveries that still held the claim get their dot.
    """

    def __init__(self, token: str) -> None:
        self.token = token
        # (delivery id, Message-ID, attempts once sent) for each message of the wave
        self.rows: list[tuple[int, str, int]] = []
        self.pending: Any = None
        self.expected: set[int] = set()

    def commit(self, indexes: list[int]) -> list[int]:
        self.settle()  # one statement at a time on the connection
        now = timezone.now()
        connection = connections[router.db_for_write(Delivery)]
        if connection.vendor == "postgresql" and connection.get_autocommit():
            connection.ensure_connection()
            pgconn = connection.connection.pgconn
            chosen = [self.rows[i] for i in indexes]
            values = [
                DeliveryState.SENDING.encode(),
                now.isoformat().encode(),
                DeliveryState.CLAIMED.encode(),
                self.token.encode(),
                _pg_array(str(pk) for pk, _, _ in chosen),
                _pg_array(message_id for _, message_id, _ in chosen),
                _pg_array(str(attempts) for _, _, attempts in chosen),
            ]
            pgconn.send_query_params(_wave_statement(connection.alias).encode(), values)
            pgconn.flush()
            self.pending = pgconn
            self.expected = {pk for pk, _, _ in chosen}
            # Our claim is young (checked before): nobody else may hold these rows.
            return indexes
        # The same conditional UPDATE per delivery on a cursor, one transaction for the
        # wave: the ORM's query building cost more than the statement itself.
        sent_at = Delivery._meta.get_field("sent_at").get_db_prep_save(now, connection)
        statement = _handover_statement(connection.alias)
        held = []
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            for index in indexes:
                pk, message_id, attempts = self.rows[index]
                cursor.execute(
                    statement,
                    [
                        DeliveryState.SENDING.value,
                        sent_at,
                        message_id,
                        attempts,
                        pk,
                        DeliveryState.CLAIMED.value,
                        self.token,
                    ],
                )
                if cursor.rowcount == 1:
                    held.append(index)
        return held

    def settle(self) -> None:
        pgconn, self.pending = self.pending, None
        if pgconn is None:
            return
        moved: set[int] = set()
        while (result := pgconn.get_result()) is not None:
            if result.error_message:
                logger.error("outreach handover failed: %s", result.error_message.decode())
            for row in range(result.ntuples):
                value = result.get_value(row, 0)
                if value is not None:
                    moved.add(int(value))
        if lost := self.expected - moved:
            logger.error(
                "outreach deliveries handed over without holding their claim",
                extra={"deliveries": sorted(lost)},
            )


def _send_email_group(
    token: str,
    channel_id: int,
    group: list[_Job],
    custom: dict[int, Any],
    claimed_at: float,
    pool: Connections,
) -> int:
    from frontdesk.inbox.models import Channel

    channel = Channel.objects.select_related("workspace").get(pk=channel_id)
    kind = kinds.get("email")
    try:
        account = kind.account_for(channel)
    except ConnectorError as exc:
        for job in group:
            _finish(job.delivery, token, state=DeliveryState.FAILED, error=exc.message)
        return 0
    receive_address = kind.addresses_of([channel]).get(channel.pk) or account.address
    # Read once for the group (the same query as before tracking existed).
    physical, tracking = OutreachSettings.objects.filter(
        workspace_id=channel.workspace_id
    ).values_list("physical_address", "track_opens_and_clicks").first() or ("", False)
    limiter = _RateLimit(settings.OUTREACH_RATE_PER_SECOND)
    claim_limit = settings.OUTREACH_CLAIM_TIMEOUT_SECONDS / 2
    confirmed: list[int] = []
    sent = 0
    by_sender: dict[int, list[_Job]] = {}
    for job in group:
        by_sender.setdefault(job.sender.pk, []).append(job)
    # One handover for the group: a wave's commit is read (settled) only when the
    # database is next needed, so its flush overlaps the next wave's SMTP commands.
    handover = _Handover(token)
    try:
        for jobs in by_sender.values():
            sender = jobs[0].sender
            this_account = account
            if sender.from_address and sender.from_address_verified:
                # The person's own verified address: From "Maya Patel <maya@…>".
                this_account = dataclasses.replace(
                    account, address=sender.from_address, display_name=""
                )
            bulk = pool.get(channel_id, this_account)
            for start in range(0, len(jobs), bulk.connections):
                if time.monotonic() - claimed_at > claim_limit:
                    handover.settle()
                    # Near the claim timeout a sweep may hand these rows to another
                    # worker: give the rest back instead of racing it.
                    Delivery.objects.filter(claim_token=token, state=DeliveryState.CLAIMED).update(
                        state=DeliveryState.QUEUED, claim_token=""
                    )
                    return sent
                wave = jobs[start : start + bulk.connections]
                outgoing = []
                for job in wave:
                    delivery = job.delivery
                    composed = compose_email(
                        delivery,
                        sender,
                        job.template,
                        context_for(
                            delivery, sender, job.data, custom.get(delivery.contact_id) or {}
                        ),
                        account_domain=this_account.domain,
                        reply_address=tokens.reply_address(
                            receive_address, delivery.workspace_id, delivery.pk
                        ),
                        physical_address=physical,
                        # Campaigns only: a notice is one person's own business.
                        tracking=tracking and delivery.campaign_id is not None,
                    )
                    outgoing.append(Outgoing(composed.message, composed.html, composed.headers))
                    limiter.wait()
                handover.rows = [
                    (job.delivery.pk, item.message.message_id, job.delivery.attempts + 1)
                    for job, item in zip(wave, outgoing, strict=True)
                ]
                outcomes = bulk.send_many(outgoing, commit=handover.commit)
                for job, outcome in zip(wave, outcomes, strict=True):
                    if outcome.error is not None:
                        handover.settle()  # before this connection's next statement
                        if outcome.committed:
                            job.delivery.attempts += 1  # the handover counted this try
                        _failed(job.delivery, token, outcome.error, handed_over=outcome.committed)
                        continue
                    confirmed.append(job.delivery.pk)
                    sent += 1
                if len(confirmed) >= CONFIRM_EVERY:
                    handover.settle()
                    _confirm(confirmed)
                    confirmed = []
    finally:
        handover.settle()
        _confirm(confirmed)
    return sent


def _send_sms_group(token: str, channel_id: int, group: list[_Job], custom: dict[int, Any]) -> int:
    """Texts through the SMS channel's adapter: the commit point is right before the
    provider call (the adapter's `find_sent` could settle a crash there; not used yet)."""
    from frontdesk.inbox.models import Channel

    channel = Channel.objects.select_related("workspace").get(pk=channel_id)
    kind = kinds.get(channel.kind)
    connector = kind.connector()
    try:
        account = kind.account_for(channel)
    except ConnectorError as exc:
        for job in group:
            _finish(job.delivery, token, state=DeliveryState.FAILED, error=exc.message)
        return 0
    sent = 0
    for job in group:
        delivery = job.delivery
        context = context_for(delivery, job.sender, job.data, custom.get(delivery.contact_id) or {})
        body = render.render(job.template.sms_body, context, escape=False)
        handed = (
            Delivery.objects.filter(
                pk=delivery.pk, state=DeliveryState.CLAIMED, claim_token=token
            ).update(
                state=DeliveryState.SENDING, sent_at=timezone.now(), attempts=delivery.attempts + 1
            )
            == 1
        )
        if not handed:
            continue
        try:
            result = connector.send(
                account,
                OutboundMessage(
                    to_address=delivery.address,
                    body=body,
                    signature=sms_sign_off(job.sender, body),
                ),
            )
        except ConnectorError as exc:
            delivery.attempts += 1
            _failed(delivery, "", exc, handed_over=True, sms=True)
            continue
        Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING).update(
            state=DeliveryState.SENT, confirmed=True, provider_message_id=result.provider_message_id
        )
        sent += 1
    return sent


def _confirm(ids: list[int]) -> None:
    if ids:
        Delivery.objects.filter(pk__in=ids, state=DeliveryState.SENDING).update(
            state=DeliveryState.SENT, confirmed=True, error=""
        )


def _finish(delivery: Delivery, token: str, *, state: str, error: str) -> None:
    Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.CLAIMED, claim_token=token).update(
        state=state, error=error[:500], claim_token=""
    )


def _failed(
    delivery: Delivery, token: str, exc: ConnectorError, *, handed_over: bool, sms: bool = False
) -> None:
    """Record a failed try: retry later (temporary) or failed (permanent)."""
    if exc.code == "claim_lost":
        return
    if handed_over:
        answered = bool(exc.code and exc.code.isdigit())
        if not answered and not sms:
            # No answer to the dot: the server may have the message. Not sent again.
            Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING).update(
                state=DeliveryState.SENT,
                confirmed=False,
                error=f"No answer after the message was handed over ({exc.message})"[:500],
            )
            return
        rows = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING)
    else:
        rows = Delivery.objects.filter(
            pk=delivery.pk, state=DeliveryState.CLAIMED, claim_token=token
        )
    attempts = delivery.attempts + (0 if handed_over else 1)
    if exc.permanent or attempts >= MAX_ATTEMPTS:
        rows.update(state=DeliveryState.FAILED, error=exc.message[:500], attempts=attempts)
        return
    rows.update(
        state=DeliveryState.QUEUED,
        claim_token="",
        attempts=attempts,
        error=exc.message[:500],
        next_attempt_at=timezone.now() + backoff(attempts),
    )


def sweep(*, now: datetime | None = None) -> tuple[int, int]:
    """Settle what a crash left: (claims handed back to the queue, handed-over
    deliveries recorded as sent unconfirmed)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.OUTREACH_CLAIM_TIMEOUT_SECONDS)
    released = Delivery.objects.filter(state=DeliveryState.CLAIMED, claimed_at__lt=stale).update(
        state=DeliveryState.QUEUED, claim_token=""
    )
    settled = Delivery.objects.filter(state=DeliveryState.SENDING, sent_at__lt=stale).update(
        state=DeliveryState.SENT,
        confirmed=False,
        error="The worker stopped right after handing this message to the server; "
        "it was not sent again.",
    )
    if released or settled:
        logger.info("outreach deliveries swept", extra={"released": released, "settled": settled})
    return released, settled


def finish_campaigns(campaign_ids: Iterable[int] | None = None) -> int:
    """Mark sending campaigns with nothing left to send as done."""
    campaigns = Campaign.objects.filter(status=CampaignStatus.SENDING)
    if campaign_ids is not None:
        campaigns = campaigns.filter(pk__in=list(campaign_ids))
    done = 0
    for campaign in campaigns:
        open_states = (DeliveryState.QUEUED, DeliveryState.CLAIMED, DeliveryState.SENDING)
        if not Delivery.objects.filter(campaign=campaign, state__in=open_states).exists():
            done += Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).update(
                status=CampaignStatus.DONE, completed_at=timezone.now()
            )
    return done


def start_scheduled(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return Campaign.objects.filter(status=CampaignStatus.SCHEDULED, scheduled_for__lte=now).update(
        status=CampaignStatus.SENDING, started_at=now
    )


def send_due(*, budget_seconds: float = 20.0, batch: int = BATCH_SIZE) -> tuple[int, bool]:
    """Claim and send batches until nothing is due or the budget is spent; returns
    (messages sent, whether work may remain)."""
    deadline = time.monotonic() + budget_seconds
    sent = 0
    sweep()
    pool = Connections()
    try:
        while time.monotonic() < deadline:
            claimed_at = time.monotonic()
            token, ids = claim_deliveries(limit=batch)
            if not ids:
                if sweep()[0]:
                    continue
                finish_campaigns()
                return sent, False
            sent += send_claimed(token, ids, claimed_at=claimed_at, pool=pool)
    finally:
        pool.close()
    return sent, True


def contact_address(contact_id: int, kind: str) -> str | None:
    identity_kind = "email" if kind == MessageKind.EMAIL else "phone"
    return (
        ContactIdentity.objects.filter(contact_id=contact_id, kind=identity_kind)
        .order_by("id")
        .values_list("value", flat=True)
        .first()
    )


def claim_ready() -> bool:
    """Whether anything is due to be sent now."""
    return _due(timezone.now()).exists()


def has_claims() -> bool:
    """Whether any delivery is claimed or being handed over right now."""
    return Delivery.objects.filter(
        state__in=[DeliveryState.CLAIMED, DeliveryState.SENDING]
    ).exists()
