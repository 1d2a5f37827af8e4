"""The synthetic inbox: who, how many, when. Engine-agnostic rows (attname -> value).

Shape (DESIGN.md, "The inbox at a million messages"): 90 % of conversations in one
workspace, the rest spread over the others; about 0.7 contacts per conversation,
each with an email and/or phone identity; conversations over the last two years with
a skewed message count (mean = messages / conversations); statuses that follow age
(recent ones are often open, old ones almost all resolved); replies and notes by
named staff. One recent open conversation in the main workspace has exactly 15
messages: the conversation page measured. Message ids follow their timestamps, as
they do when messages arrive one by one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from benchmarks.inbox_scale.corpus import FIRST_NAMES, LAST_NAMES, MessageText

DAY = 86_400.0
HISTORY_DAYS = 730
MAIN_SHARE = 0.9
CONTACTS_PER_CONVERSATION = 0.7
DETAIL_MESSAGES = 15
RARE_MATCHES_MAIN = 6
RARE_MATCHES_OTHER = 2
MAX_MESSAGES_PER_CONVERSATION = 150
# Status mix of conversations still being worked on (the rest are resolved).
ACTIVE_MIX = (("open", 0.70), ("pending", 0.18), ("snoozed", 0.12))


@dataclass
class WorkspaceIds:
    id: int
    slug: str
    channel_id: int
    staff_ids: list[int]  # membership ids
    tag_ids: list[int]
    contact_ids: list[int] = field(default_factory=list)
    conversation_count: int = 0


@dataclass
class ConversationPlan:
    id: int
    workspace: WorkspaceIds
    number: int
    contact_id: int
    times: list[float]
    kinds: list[str]
    assignee_id: int | None
    status: str


@dataclass
class Dataset:
    """Everything the loader inserts in bulk, generated from one seed."""

    seed: int
    messages: int
    conversations: int
    now: float
    workspaces: list[WorkspaceIds]
    bench_member_id: int
    rng: random.Random = field(init=False)
    text: MessageText = field(init=False)
    plans: list[ConversationPlan] = field(default_factory=list)
    detail: ConversationPlan | None = None
    planted: dict[str, int] = field(default_factory=lambda: {"c": 0, "p": 0, "r": 0})

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.text = MessageText(self.seed + 1)

    @property
    def main(self) -> WorkspaceIds:
        return self.workspaces[0]

    def _share(self, total: int) -> list[int]:
        """Split `total` rows: 90 % to the main workspace, the rest evenly."""
        if len(self.workspaces) == 1:
            return [total]
        main = round(total * MAIN_SHARE)
        others = len(self.workspaces) - 1
        rest = [(total - main) // others] * others
        for i in range((total - main) - sum(rest)):
            rest[i] += 1
        return [main, *rest]

    # --- contacts ------------------------------------------------------------------------

    def contact_rows(self, first_id: int) -> Iterator[dict]:
        rng = self.rng
        total = max(len(self.workspaces), round(self.conversations * CONTACTS_PER_CONVERSATION))
        next_id = first_id
        for ws, count in zip(self.workspaces, self._share(total), strict=True):
            for _ in range(count):
                created = self.now - rng.uniform(0, HISTORY_DAYS) * DAY
                ws.contact_ids.append(next_id)
                yield {
                    "id": next_id,
                    "workspace_id": ws.id,
                    "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                    if rng.random() < 0.85
                    else "",
                    "sms_consent": rng.choice(("unknown", "unknown", "granted", "revoked")),
                    "email_consent": rng.choice(("unknown", "granted", "granted")),
                    "community_consent": "unknown",
                    "created_at": created,
                    "updated_at": created,
                }
                next_id += 1

    def identity_rows(self, first_id: int) -> Iterator[dict]:
        rng = self.rng
        next_id = first_id
        for ws in self.workspaces:
            for contact_id in ws.contact_ids:
                roll = rng.random()
                kinds = (
                    ("email",) if roll < 0.5 else ("phone",) if roll < 0.8 else ("email", "phone")
                )
                for kind in kinds:
                    if kind == "email":
                        local = f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}".lower()
                        value = f"{local}{contact_id}@patrons.example"
                    else:
                        # 555-01xx numbers are reserved for fiction; the id keeps them unique.
                        value = f"+1555{contact_id:07d}"
                    yield {
                        "id": next_id,
                        "workspace_id": ws.id,
                        "contact_id": contact_id,
                        "kind": kind,
                        "value": value,
                        "label": value,
                        "verified": kind == "email",
                        "created_at": self.now - rng.uniform(0, HISTORY_DAYS) * DAY,
                    }
                    next_id += 1

    # --- conversations -----------------------------------------------------------------------

    def plan_conversations(self, first_id: int) -> None:
        """Decide every conversation's workspace, contact, message times and status."""
        rng = self.rng
        counts = self._message_counts()
        owners: list[WorkspaceIds] = []
        for ws, count in zip(self.workspaces, self._share(self.conversations), strict=True):
            owners += [ws] * count
        rng.shuffle(owners)
        starts = sorted(self.now - rng.uniform(0, HISTORY_DAYS) * DAY for _ in owners)
        # The conversation page's subject: recent, open, in the main workspace.
        detail_index = max(
            i for i, ws in enumerate(owners) if ws is self.main and i < len(owners) - 5
        )
        numbers = {ws.id: 0 for ws in self.workspaces}
        for index, (ws, start) in enumerate(zip(owners, starts, strict=True)):
            count = counts[index]
            if index == detail_index:
                count = DETAIL_MESSAGES
                start = self.now - 2 * DAY
            times = self._message_times(start, count)
            kinds = ["incoming"] + [
                "note" if r < 0.08 else "reply" if r < 0.55 else "incoming"
                for r in (rng.random() for _ in range(count - 1))
            ]
            numbers[ws.id] += 1
            plan = ConversationPlan(
                id=first_id + index,
                workspace=ws,
                number=numbers[ws.id],
                contact_id=rng.choice(ws.contact_ids),
                times=times,
                kinds=kinds,
                assignee_id=None,
                status="resolved",
            )
            if index == detail_index:
                self.detail = plan
            self.plans.append(plan)
        for ws in self.workspaces:
            ws.conversation_count = numbers[ws.id]
        # The planned total differs from the exact one by chance: the difference lands
        # on other conversations, never on the detail one.
        self._fix_total(detail_index)
        for plan in self.plans:
            plan.status = self._status(plan.times[-1])
            if rng.random() < (0.75 if plan.status != "resolved" else 0.9):
                plan.assignee_id = rng.choice(plan.workspace.staff_ids)
        assert self.detail is not None
        self.detail.status, self.detail.assignee_id = "open", self.bench_member_id

    def _message_counts(self) -> list[int]:
        rng = self.rng
        mean = self.messages / self.conversations
        counts = [
            min(MAX_MESSAGES_PER_CONVERSATION, 1 + round(rng.expovariate(1 / max(mean - 1, 0.01))))
            for _ in range(self.conversations)
        ]
        return counts

    def _fix_total(self, detail_index: int) -> None:
        rng = self.rng
        diff = self.messages - sum(len(p.times) for p in self.plans)
        candidates = [i for i in range(len(self.plans)) if i != detail_index]
        while diff:
            plan = self.plans[rng.choice(candidates)]
            if diff > 0 and len(plan.times) < MAX_MESSAGES_PER_CONVERSATION:
                plan.times.append(min(self.now - 1, plan.times[-1] + rng.uniform(60, 3600)))
                plan.kinds.append("reply" if plan.kinds[-1] == "incoming" else "incoming")
                diff -= 1
            elif diff < 0 and len(plan.times) > 1:
                plan.times.pop()
                plan.kinds.pop()
                diff += 1

    def _message_times(self, start: float, count: int) -> list[float]:
        rng = self.rng
        times, moment = [], start
        for _ in range(count):
            times.append(moment)
            moment += rng.expovariate(1 / (3 * 3600))
        span = times[-1] - start
        room = (self.now - 60) - start
        if span > room > 0:
            times = [start + (t - start) * room / span for t in times]
        return times

    def _status(self, last: float) -> str:
        rng = self.rng
        age_days = (self.now - last) / DAY
        active = 0.6 if age_days < 30 else 0.2 if age_days < 90 else 0.03
        if rng.random() >= active:
            return "resolved"
        roll, total = rng.random(), 0.0
        for status, share in ACTIVE_MIX:
            total += share
            if roll < total:
                return status
        return "open"

    def conversation_rows(self) -> Iterator[dict]:
        rng = self.rng
        for plan in self.plans:
            times, kinds = plan.times, plan.kinds
            replies = [t for t, k in zip(times, kinds, strict=True) if k == "reply"]
            incoming = [t for t, k in zip(times, kinds, strict=True) if k == "incoming"]
            last_reply = replies[-1] if replies else None
            waiting = [t for t in incoming if last_reply is None or t > last_reply]
            score = rng.uniform(-1, 1)
            row = {
                "id": plan.id,
                "workspace_id": plan.workspace.id,
                "number": plan.number,
                "contact_id": plan.contact_id,
                "channel_id": plan.workspace.channel_id,
                "status": plan.status,
                "snoozed_until": (self.now + rng.uniform(1, 7) * DAY)
                if plan.status == "snoozed"
                else None,
                "assignee_id": plan.assignee_id,
                "priority": rng.choices(
                    ("normal", "high", "low", "urgent"), cum_weights=(85, 93, 98, 100)
                )[0],
                "subject": self.text.topic(),
                "created_at": times[0],
                "last_message_at": times[-1],
                "last_customer_message_at": incoming[-1],
                "waiting_since": waiting[0] if waiting and plan.status != "resolved" else None,
                "first_response_at": replies[0] if replies else None,
                "resolved_at": times[-1] + rng.uniform(60, 7200)
                if plan.status == "resolved"
                else None,
                "sentiment_score": round(score, 3),
                "sentiment_label": "negative"
                if score < -0.3
                else "positive"
                if score > 0.3
                else "neutral",
            }
            if row["resolved_at"] is not None:
                row["resolved_at"] = min(row["resolved_at"], self.now)
            yield row

    def conversation_tag_rows(self, first_id: int) -> Iterator[dict]:
        rng = self.rng
        next_id = first_id
        for plan in self.plans:
            if rng.random() < 0.25:
                for tag_id in rng.sample(plan.workspace.tag_ids, rng.choice((1, 1, 2))):
                    yield {"id": next_id, "conversation_id": plan.id, "tag_id": tag_id}
                    next_id += 1

    # --- messages ---------------------------------------------------------------------------

    def message_rows(self, first_id: int) -> Iterator[dict]:
        """Every message in timestamp order, so ids grow with time."""
        rng = self.rng
        order = sorted(
            (t, index, position)
            for index, plan in enumerate(self.plans)
            for position, t in enumerate(plan.times)
        )
        rare = self._rare_slots()
        for offset, (t, index, position) in enumerate(order):
            plan = self.plans[index]
            kind = plan.kinds[position]
            body, flags = self.text.body(kind, rare=(index, position) in rare)
            if plan.workspace is self.main:
                for flag in flags:
                    self.planted[flag] += 1
            message_id = first_id + offset
            author = None
            if kind != "incoming":
                author = plan.assignee_id or rng.choice(plan.workspace.staff_ids)
            reply = kind == "reply"
            yield {
                "id": message_id,
                "workspace_id": plan.workspace.id,
                "conversation_id": plan.id,
                "kind": kind,
                "author_id": author,
                "body": body,
                "channel_id": plan.workspace.channel_id,
                "provider_message_id": f"bench-{message_id}" if kind != "note" else None,
                "status": "delivered" if reply else "not_applicable",
                "attempts": 1 if reply else 0,
                "sent_at": t + 1 if reply else None,
                "delivered_at": t + 3 if reply else None,
                "created_at": t,
            }

    def _rare_slots(self) -> set[tuple[int, int]]:
        rng = self.rng
        main = [i for i, p in enumerate(self.plans) if p.workspace is self.main]
        other = [i for i, p in enumerate(self.plans) if p.workspace is not self.main]
        chosen = rng.sample(main, min(RARE_MATCHES_MAIN, len(main)))
        chosen += rng.sample(other, min(RARE_MATCHES_OTHER, len(other)))
        return {(i, rng.randrange(len(self.plans[i].times))) for i in chosen}


def utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def now_timestamp() -> float:
    return float(int(datetime.now(UTC).timestamp()))
