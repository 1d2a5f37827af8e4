"""Routing: what the workspace's rules do to a conversation when a customer writes.

Intake calls `plan_routing` once per round (its conversations already updated with
the new messages, not yet saved) and `finish_routing` after the round's UPDATE.
Per round and workspace it reads the rules once; with no rules it reads nothing
more. Rules are evaluated by the pure `frontdesk.triage.rules.evaluate`.

Who gets the conversation, in order:
1. the member already handling it, while they are active (the customer goes on
   with the person who answered);
2. the person the acknowledgement promised (the web form's thank-you named them):
   the promise made to the customer is kept (`inbox.routing`);
3. the first matching rule's assignee: a named person (if available), or among a
   team's (or everyone's) *available* members who answer customers, round-robin
   or least busy (fewest open and pending conversations);
4. nobody (the shared queue). An SMS acknowledgement then names, and assigns, the
   channel's member on duty (`channels/sms/handling.py`).
The matching rule's other actions apply either way: a priority is raised (never
lowered, except on a new conversation), tags are added, a saved reply becomes the
conversation's draft, and the members it names are notified when the message
starts a customer's wait. Each routed message keeps its `RoutingDecision` (which
rule, why, what it did).

Rules and availability are edited through the actions at the end of this module.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone

from frontdesk.core import roles
from frontdesk.core.models import Membership, Workspace
from frontdesk.inbox import service_levels
from frontdesk.inbox.actions.common import InboxError, require, require_same_workspace
from frontdesk.inbox.actions.notifications import notify
from frontdesk.inbox.models import (
    Conversation,
    ConversationStatus,
    InboundEvent,
    InboxSettings,
    Message,
    NotificationKind,
    Priority,
    SavedReply,
    Tag,
    Team,
)
from frontdesk.inbox.routing import route_conversation
from frontdesk.inbox.templating import render_saved_reply
from frontdesk.triage import rules as engine
from frontdesk.triage.models import Availability, RoutingDecision, RoutingRule

logger = logging.getLogger(__name__)

PRIORITY_RANK: dict[str, int] = {
    Priority.LOW.value: 0,
    Priority.NORMAL.value: 1,
    Priority.HIGH.value: 2,
    Priority.URGENT.value: 3,
}
BUSY_STATUSES = (ConversationStatus.OPEN, ConversationStatus.PENDING)
REPLYING_ROLES = tuple(role for role in roles.Role if roles.role_can(role, roles.REPLY))


@dataclass
class Arrival:
    """One customer message of an intake round, and its (unsaved) conversation."""

    conversation: Conversation
    message: Message
    event: InboundEvent | None
    created: bool
    started_wait: bool  # the customer was not waiting before this message


@dataclass
class Plan:
    arrival: Arrival
    assigned: Membership | None = None  # newly assigned by this round
    rule: RoutingRule | None = None
    why: str = ""
    did: list[str] = field(default_factory=list)


class _Workspace:
    """What routing needs of one workspace in one round, read at most once each."""

    def __init__(self, workspace: Workspace, rules: list[RoutingRule]) -> None:
        self.workspace = workspace
        self.rules = rules
        self.records = [rule.to_rule() for rule in rules]
        self.by_id = {rule.pk: rule for rule in rules}
        self._pools: dict[str, dict[int, Membership]] = {}
        self._load: dict[int, int] | None = None
        self._open: bool | None = None
        self._settings: InboxSettings | None = None
        self.moved: set[int] = set()  # rules whose round-robin cursor moved

    def uses(self, what: str) -> bool:
        return any(
            bool(getattr(record.conditions, what)) for record in self.records if record.active
        )

    def is_open(self, moment: Any) -> bool:
        if self._settings is None:
            self._settings = service_levels.settings_or_defaults(self.workspace)
        return service_levels.is_open_at(
            moment,
            hours=self._settings.business_hours,
            zone=service_levels.workspace_zone(self.workspace),
        )

    def pool(self, key: str) -> dict[int, Membership]:
        """Available active members who answer customers: "anyone", "team:<id>"
        or "member:<id>" (that one person, if available)."""
        found = self._pools.get(key)
        if found is None:
            members = (
                Membership.objects.for_workspace(self.workspace)
                .filter(is_active=True, role__in=REPLYING_ROLES)
                .exclude(routing_availability__is_available=False)
            )
            kind, _, ident = key.partition(":")
            if kind == "team":
                members = members.filter(teams__pk=int(ident))
            elif kind == "member":
                members = members.filter(pk=int(ident))
            found = self._pools[key] = {m.pk: m for m in members.distinct()}
        return found

    def load(self) -> dict[int, int]:
        """Open and pending conversations per member, counted once per round and kept
        up to date as this round assigns."""
        if self._load is None:
            self._load = dict(
                Conversation.objects.for_workspace(self.workspace)
                .filter(status__in=BUSY_STATUSES, assignee__isnull=False)
                .values("assignee")
                .annotate(n=Count("id"))
                .values_list("assignee", "n")
            )
        return self._load


def _contact_tags(arrivals: list[Arrival]) -> dict[int, frozenset[str]]:
    """Tags staff put on each customer's conversations (their "contact tags")."""
    contacts = {a.conversation.contact_id for a in arrivals}
    tags: dict[int, set[str]] = defaultdict(set)
    through = Conversation.tags.through
    for contact_id, name in through.objects.filter(
        conversation__contact_id__in=contacts
    ).values_list("conversation__contact_id", "tag__name"):
        tags[contact_id].add(name.lower())
    return {contact: frozenset(names) for contact, names in tags.items()}


def facts_for(
    arrival: Arrival, *, tags: frozenset[str] = frozenset(), open_now: bool | None = None
) -> engine.Facts:
    message, conversation = arrival.message, arrival.conversation
    raw: Any = arrival.event.raw if arrival.event is not None else None
    watch = raw.get("watch") if isinstance(raw, dict) else None
    channel = conversation.channel
    return engine.Facts(
        text=f"{message.subject}\n{message.body}" if message.subject else message.body,
        channel_id=conversation.channel_id,
        channel_kind=channel.kind if channel is not None else "",
        watch=str(watch)[:200] if watch else "",
        tags=tags,
        language=message.language,
        sentiment=message.sentiment_label,
        urgency=message.urgency_label,
        open_now=open_now,
    )


def _load_rules(workspace_ids: set[int]) -> dict[int, list[RoutingRule]]:
    found: dict[int, list[RoutingRule]] = defaultdict(list)
    for rule in RoutingRule.objects.filter(workspace_id__in=workspace_ids, is_active=True).order_by(
        "workspace_id", "position", "id"
    ):
        found[rule.workspace_id].append(rule)
    return found


def plan_routing(arrivals: list[Arrival]) -> list[Plan]:
    """Decide each arrival's assignee and apply the rules' conversation fields
    (assignee, team, priority) to the unsaved conversations. One query for every
    workspace's rules; more only for what the rules use. Call inside the intake's
    transaction, then save the conversations, then `finish_routing`."""
    plans = [Plan(arrival) for arrival in arrivals]
    rules = _load_rules({a.conversation.workspace_id for a in arrivals}) if arrivals else {}
    states: dict[int, _Workspace] = {}
    tags: dict[int, frozenset[str]] | None = None
    for plan in plans:
        conversation = plan.arrival.conversation
        before = conversation.assignee_id
        kept = route_conversation(conversation, message=plan.arrival.message)
        conversation.assignee = kept
        ws_rules = rules.get(conversation.workspace_id)
        if not ws_rules:
            if kept is not None and kept.pk != before:
                plan.assigned = kept
            continue
        state = states.get(conversation.workspace_id)
        if state is None:
            state = states[conversation.workspace_id] = _Workspace(conversation.workspace, ws_rules)
        if tags is None and state.uses("tags"):
            tags = _contact_tags(arrivals)
        open_now = state.is_open(plan.arrival.message.created_at) if state.uses("hours") else None
        facts = facts_for(
            plan.arrival,
            tags=(tags or {}).get(conversation.contact_id, frozenset()),
            open_now=open_now,
        )
        decision = engine.evaluate(state.records, facts)
        if decision.rule is not None:
            _apply(plan, state, state.by_id[decision.rule.id], decision)
        if conversation.assignee is not None and conversation.assignee_id != before:
            plan.assigned = conversation.assignee
    for state in states.values():
        for rule_id in state.moved:
            rule = state.by_id[rule_id]
            RoutingRule.objects.filter(pk=rule_id).update(last_assignee=rule.last_assignee_id)
    return plans


def _apply(plan: Plan, state: _Workspace, rule: RoutingRule, decision: engine.Decision) -> None:
    conversation = plan.arrival.conversation
    actions = rule.to_rule().actions
    plan.rule = rule
    plan.why = decision.why
    if conversation.assignee is None and actions.assign:
        chosen = _choose(state, rule, actions)
        if chosen is not None:
            conversation.assignee = chosen
            load = state.load() if actions.mode == "least_busy" else None
            if load is not None:
                load[chosen.pk] = load.get(chosen.pk, 0) + 1
            plan.did.append(f"assigned to {chosen.display_name}")
        else:
            plan.did.append("nobody available to assign")
    if actions.assign.startswith("team:") and conversation.team_id is None and rule.assign_team_id:
        conversation.team_id = rule.assign_team_id
    if actions.priority in PRIORITY_RANK:
        current = PRIORITY_RANK.get(conversation.priority, 1)
        wanted = PRIORITY_RANK[actions.priority]
        if wanted > current or (plan.arrival.created and wanted != current):
            conversation.priority = actions.priority
            plan.did.append(f"priority {actions.priority}")
    if actions.tags:
        plan.did.append("tagged " + ", ".join(actions.tags))
    if actions.saved_reply_id:
        plan.did.append("draft reply")
    if actions.notify and (plan.arrival.created or plan.arrival.started_wait):
        plan.did.append("notified")


def _choose(state: _Workspace, rule: RoutingRule, actions: engine.Actions) -> Membership | None:
    if actions.assign.startswith("member:"):
        return state.pool(actions.assign).get(int(actions.assign.partition(":")[2]))
    pool = state.pool(actions.assign if actions.assign.startswith("team:") else "anyone")
    candidates = list(pool)
    last = rule.last_assignee_id
    if actions.mode == "least_busy":
        picked = engine.pick_least_busy(candidates, state.load(), last)
    else:
        picked = engine.pick_round_robin(candidates, last)
    if picked is None:
        return None
    rule.last_assignee_id = picked
    state.moved.add(rule.pk)
    return pool[picked]


def finish_routing(plans: list[Plan]) -> None:
    """After the round's conversations are saved: tags, drafts and decisions stored,
    the newly assigned and the rules' people notified."""
    decisions: list[RoutingDecision] = []
    tag_rows: list[Any] = []
    through = Conversation.tags.through
    # Read once per round, whatever the number of messages a rule matched.
    tags: dict[tuple[int, str], Tag | None] = {}
    notified: dict[int, list[Membership]] = {}
    for plan in plans:
        conversation = plan.arrival.conversation
        rule = plan.rule
        if rule is not None:
            actions = rule.to_rule().actions
            for name in actions.tags:
                key = (conversation.workspace_id, name.lower())
                if key not in tags:
                    tags[key] = _tag(conversation.workspace_id, name)
                tag = tags[key]
                if tag is not None:
                    tag_rows.append(through(conversation_id=conversation.pk, tag_id=tag.pk))
            draft = _draft(conversation, rule)
            decisions.append(
                RoutingDecision(
                    workspace_id=conversation.workspace_id,
                    message=plan.arrival.message,
                    conversation=conversation,
                    rule=rule,
                    rule_name=rule.name[:120],
                    why=plan.why[:500],
                    did="; ".join(plan.did)[:500],
                    draft=draft,
                )
            )
        if plan.assigned is not None:
            notify(
                plan.assigned, kind=NotificationKind.ASSIGNED, conversation=conversation, actor=None
            )
        if rule is not None and (plan.arrival.created or plan.arrival.started_wait):
            if rule.pk not in notified:
                notified[rule.pk] = _notified(conversation.workspace_id, rule)
            for member in notified[rule.pk]:
                notify(
                    member,
                    kind=NotificationKind.ROUTED,
                    conversation=conversation,
                    actor=None,
                    message=plan.arrival.message,
                )
    if tag_rows:
        through.objects.bulk_create(tag_rows, ignore_conflicts=True)
    if decisions:
        RoutingDecision.objects.bulk_create(decisions)


def _tag(workspace_id: int, name: str) -> Tag | None:
    name = " ".join(name.split())[:50]
    if not name:
        return None
    found = Tag.objects.filter(workspace_id=workspace_id, name__iexact=name).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Tag.objects.create(workspace_id=workspace_id, name=name)
    except IntegrityError:  # made by another worker just now
        return Tag.objects.filter(workspace_id=workspace_id, name__iexact=name).first()


def _draft(conversation: Conversation, rule: RoutingRule) -> str:
    if not rule.saved_reply_id:
        return ""
    saved = SavedReply.objects.filter(
        pk=rule.saved_reply_id, workspace_id=conversation.workspace_id
    ).first()
    if saved is None:
        return ""
    try:
        return render_saved_reply(
            saved.body,
            contact=conversation.contact,
            me=conversation.assignee,
            workspace=conversation.workspace,
        )
    except Exception:  # a saved reply with a broken variable: no draft, routing goes on
        logger.warning("routing draft could not be rendered", extra={"rule": rule.pk})
        return ""


def _notified(workspace_id: int, rule: RoutingRule) -> list[Membership]:
    ids = [n for n in (rule.notify or []) if isinstance(n, int)]
    if not ids:
        return []
    return list(Membership.objects.filter(workspace_id=workspace_id, pk__in=ids, is_active=True))


def latest_decision(conversation: Conversation) -> RoutingDecision | None:
    return (
        RoutingDecision.objects.filter(
            workspace_id=conversation.workspace_id, conversation=conversation
        )
        .order_by("-id")
        .first()
    )


# --- Editing rules and availability (Settings → Inbox → Routing) ---------------------


@dataclass(frozen=True)
class RuleFields:
    """A rule as a form gives it; validated by `save_rule`."""

    name: str
    is_active: bool = True
    conditions: engine.Conditions = field(default_factory=engine.Conditions)
    assign: str = ""  # "", "anyone", "member:<id>", "team:<id>"
    mode: str = "round_robin"
    priority: str = ""
    tags: tuple[str, ...] = ()
    saved_reply_id: int | None = None
    notify: tuple[int, ...] = ()


def _conditions_json(c: engine.Conditions) -> dict[str, Any]:
    out: dict[str, Any] = {
        "channels": list(c.channels),
        "watch": c.watch.strip(),
        "keywords": [k.strip() for k in c.keywords if k.strip()],
        "tags": [t.strip() for t in c.tags if t.strip()],
        "languages": list(c.languages),
        "sentiments": [s for s in c.sentiments if s in engine.SENTIMENTS],
        "urgencies": [u for u in c.urgencies if u in engine.URGENCIES],
        "hours": c.hours if c.hours in engine.HOURS else "",
    }
    return {key: value for key, value in out.items() if value}


def save_rule(
    workspace: Workspace, fields: RuleFields, *, rule: RoutingRule | None = None, by: Membership
) -> RoutingRule:
    """Create a rule (last in the order) or change `rule`. Admins and owners only.

    Every person, team and saved reply it names must belong to the workspace.
    """
    require(by, roles.MANAGE_WORKSPACE, workspace_id=workspace.pk)
    if rule is not None:
        require_same_workspace(workspace.pk, rule)
    name = " ".join(fields.name.split())
    if not name:
        raise InboxError("A rule needs a name.", field="name")
    if len(name) > 120:
        raise InboxError("Keep the name under 120 characters.", field="name")
    if fields.mode not in engine.ASSIGN_MODES:
        raise InboxError("Choose round-robin or least busy.", field="mode")
    if fields.priority and fields.priority not in PRIORITY_RANK:
        raise InboxError("Unknown priority.", field="priority")
    member = team = saved = None
    kind, _, ident = fields.assign.partition(":")
    if fields.assign and fields.assign != "anyone":
        if kind not in ("member", "team") or not ident.isdigit():
            raise InboxError("Choose whom to assign.", field="assign")
        if kind == "member":
            member = Membership.objects.filter(
                workspace=workspace, pk=int(ident), is_active=True
            ).first()
            if member is None or not member.can(roles.REPLY):
                raise InboxError("That person can’t answer customers here.", field="assign")
        else:
            team = Team.objects.filter(workspace=workspace, pk=int(ident)).first()
            if team is None:
                raise InboxError("That team is not in this workspace.", field="assign")
    if fields.saved_reply_id is not None:
        saved = SavedReply.objects.filter(workspace=workspace, pk=fields.saved_reply_id).first()
        if saved is None:
            raise InboxError("That saved reply is not in this workspace.", field="saved_reply")
    notify_ids = sorted(set(fields.notify))
    if notify_ids:
        known = set(
            Membership.objects.filter(workspace=workspace, pk__in=notify_ids).values_list(
                "pk", flat=True
            )
        )
        if known != set(notify_ids):
            raise InboxError("Notify only people in this workspace.", field="notify")
    tags = [" ".join(t.split())[:50] for t in fields.tags if t.strip()]
    with transaction.atomic():
        if rule is None:
            last = RoutingRule.objects.filter(workspace=workspace).aggregate(p=Max("position"))
            rule = RoutingRule(workspace=workspace, position=(last["p"] or 0) + 1)
        rule.name = name
        rule.is_active = fields.is_active
        rule.conditions = _conditions_json(fields.conditions)
        rule.assign_member = member
        rule.assign_team = team
        rule.assign_anyone = fields.assign == "anyone"
        rule.assign_mode = fields.mode
        rule.set_priority = fields.priority
        rule.add_tags = tags
        rule.saved_reply = saved
        rule.notify = notify_ids
        rule.updated_at = timezone.now()
        rule.save()
    logger.info("routing rule saved", extra={"workspace": workspace.pk, "rule": rule.pk})
    return rule


def delete_rule(rule: RoutingRule, *, by: Membership) -> None:
    require(by, roles.MANAGE_WORKSPACE, workspace_id=rule.workspace_id)
    rule.delete()


def move_rule(rule: RoutingRule, *, to: int, by: Membership) -> list[RoutingRule]:
    """Put `rule` at index `to` (0 = first) of the workspace's order; returns the order."""
    require(by, roles.MANAGE_WORKSPACE, workspace_id=rule.workspace_id)
    with transaction.atomic():
        ordered = list(
            RoutingRule.objects.filter(workspace_id=rule.workspace_id)
            .select_for_update()
            .order_by("position", "id")
        )
        ordered = [r for r in ordered if r.pk != rule.pk]
        ordered.insert(max(0, min(to, len(ordered))), rule)
        for position, item in enumerate(ordered, start=1):
            if item.position != position:
                RoutingRule.objects.filter(pk=item.pk).update(position=position)
                item.position = position
    return ordered


def set_availability(member: Membership, *, available: bool, by: Membership) -> Availability:
    """Mark `member` available for routed work, or away. Anyone may set their own;
    admins and owners anyone's in their workspace."""
    require(by, roles.VIEW_INBOX, workspace_id=member.workspace_id)
    if by.pk != member.pk:
        require(by, roles.MANAGE_TEAM, workspace_id=member.workspace_id)
    row, _ = Availability.objects.update_or_create(
        membership=member,
        defaults={
            "workspace_id": member.workspace_id,
            "is_available": available,
            "changed_at": timezone.now(),
        },
    )
    return row


def away_ids(workspace: Workspace) -> set[int]:
    return set(
        Availability.objects.filter(workspace=workspace, is_available=False).values_list(
            "membership_id", flat=True
        )
    )


__all__ = [
    "Arrival",
    "Plan",
    "RuleFields",
    "away_ids",
    "delete_rule",
    "facts_for",
    "finish_routing",
    "latest_decision",
    "move_rule",
    "plan_routing",
    "preview_assignee",
    "save_rule",
    "set_availability",
]


def preview_assignee(rule: RoutingRule) -> tuple[Membership | None, int]:
    """Who `rule` would hand a new conversation to now, and how many people it picks
    among (reads only; the rule tester shows it)."""
    actions = rule.to_rule().actions
    if not actions.assign:
        return None, 0
    state = _Workspace(rule.workspace, [rule])
    if actions.assign.startswith("member:"):
        pool = state.pool(actions.assign)
        return next(iter(pool.values()), None), len(pool)
    pool = state.pool(actions.assign if actions.assign.startswith("team:") else "anyone")
    if actions.mode == "least_busy":
        picked = engine.pick_least_busy(list(pool), state.load(), rule.last_assignee_id)
    else:
        picked = engine.pick_round_robin(list(pool), rule.last_assignee_id)
    return (pool[picked] if picked is not None else None), len(pool)
