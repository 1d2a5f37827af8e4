"""Settings → Inbox → Routing: the ordered rules, who is available, the rule tester.

Everyone who reads the inbox may look and use the tester; admins and owners change
rules (the actions check); anyone sets their own availability, admins anyone's.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from frontdesk.core import roles
from frontdesk.core.errors import ActionError
from frontdesk.core.http import WorkspaceRequest, parse_id
from frontdesk.core.models import Membership
from frontdesk.core.permissions import require_capability
from frontdesk.inbox import service_levels
from frontdesk.inbox.actions import routing as actions
from frontdesk.inbox.actions.common import InboxError
from frontdesk.inbox.forms_routing import RuleForm, TesterForm, channel_choices, initial_for
from frontdesk.inbox.models import Channel
from frontdesk.triage import rules as engine
from frontdesk.triage.base import Context
from frontdesk.triage.hooks import learned_sentiment, learned_urgency
from frontdesk.triage.models import RoutingRule
from frontdesk.triage.pipeline import analyze

SENTIMENT_WORDS = {"negative": "unhappy", "neutral": "neutral", "positive": "happy"}


def _rules(request: WorkspaceRequest) -> list[RoutingRule]:
    return list(
        RoutingRule.objects.for_workspace(request.workspace)
        .select_related("assign_member", "assign_team", "saved_reply")
        .order_by("position", "id")
    )


def _access_rule(request: WorkspaceRequest, pk: int) -> RoutingRule:
    return get_object_or_404(RoutingRule.objects.for_workspace(request.workspace), pk=pk)


def _names(request: WorkspaceRequest) -> dict[str, dict[str, str]]:
    return {
        "channels": dict(channel_choices(request.workspace)),
        "members": {
            str(m.pk): m.display_name for m in Membership.objects.for_workspace(request.workspace)
        },
    }


def describe(rule: RoutingRule, names: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """The rule in words: its conditions ("when") and its actions ("then")."""
    rec = rule.to_rule()
    c, a = rec.conditions, rec.actions
    when: list[str] = []
    if c.channels:
        when.append("on " + " or ".join(names["channels"].get(x, x) for x in c.channels))
    if c.keywords:
        when.append("mentions " + " or ".join(f"“{k}”" for k in c.keywords))
    if c.sentiments:
        when.append(" or ".join(SENTIMENT_WORDS.get(s, s) for s in c.sentiments))
    if c.urgencies:
        when.append("urgency " + " or ".join(c.urgencies))
    if c.languages:
        when.append("in " + ", ".join(c.languages))
    if c.tags:
        when.append("customer tagged " + " or ".join(f"“{t}”" for t in c.tags))
    if c.watch:
        when.append(f"from watch “{c.watch}”")
    if c.hours:
        when.append("during opening hours" if c.hours == "open" else "outside opening hours")
    then: list[str] = []
    mode = "least busy" if a.mode == "least_busy" else "round-robin"
    if rule.assign_member is not None:
        then.append(f"assign to {rule.assign_member.display_name}")
    elif rule.assign_team is not None:
        then.append(f"assign within {rule.assign_team.name} ({mode})")
    elif rule.assign_anyone:
        then.append(f"assign to anyone available ({mode})")
    if a.priority:
        then.append(f"priority {a.priority}")
    if a.tags:
        then.append("tag " + ", ".join(a.tags))
    if rule.saved_reply is not None:
        then.append(f"draft “{rule.saved_reply.title}”")
    if a.notify:
        then.append("notify " + ", ".join(names["members"].get(str(n), "?") for n in a.notify))
    return {"when": when or ["every message"], "then": then or ["nothing"]}


@require_capability(roles.VIEW_INBOX)
def routing_rules(request: WorkspaceRequest) -> HttpResponse:
    """The rules in order, with up/down to reorder, and who takes routed work."""
    rules = _rules(request)
    names = _names(request)
    away = actions.away_ids(request.workspace)
    people = [
        m
        for m in Membership.objects.for_workspace(request.workspace)
        .filter(is_active=True)
        .order_by("display_name", "id")
        if m.can(roles.REPLY)
    ]
    context = {
        "rows": [(rule, describe(rule, names)) for rule in rules],
        "people": [(m, m.pk not in away) for m in people],
        "can_edit": request.membership.can(roles.MANAGE_WORKSPACE),
        "can_manage_team": request.membership.can(roles.MANAGE_TEAM),
    }
    return render(request, "inbox/settings_routing.html", context)


def _rule_form_page(request: WorkspaceRequest, rule: RoutingRule | None) -> HttpResponse:
    workspace = request.workspace
    if request.method == "POST":
        form = RuleForm(request.POST, workspace=workspace)
        if form.is_valid():
            try:
                saved = actions.save_rule(
                    workspace, form.fields_for_action(), rule=rule, by=request.membership
                )
            except ActionError as exc:
                if exc.field and exc.field in form.fields:
                    form.add_error(exc.field, exc.message)
                else:
                    form.add_error(None, exc.message)
            else:
                messages.success(request, f"Rule “{saved.name}” saved.")
                return redirect("inbox_settings:routing", ws=workspace.slug)
    else:
        initial = initial_for(rule) if rule is not None else {"is_active": True}
        form = RuleForm(initial=initial, workspace=workspace)
    return render(request, "inbox/settings_routing_form.html", {"form": form, "rule": rule})


@require_capability(roles.MANAGE_WORKSPACE)
def rule_create(request: WorkspaceRequest) -> HttpResponse:
    return _rule_form_page(request, None)


@require_capability(roles.MANAGE_WORKSPACE)
def rule_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    return _rule_form_page(request, _access_rule(request, pk))


@require_POST
@require_capability(roles.MANAGE_WORKSPACE)
def rule_delete(request: WorkspaceRequest, pk: int) -> HttpResponse:
    rule = _access_rule(request, pk)
    actions.delete_rule(rule, by=request.membership)
    messages.success(request, f"Rule “{rule.name}” deleted.")
    return redirect("inbox_settings:routing", ws=request.workspace.slug)


@require_POST
@require_capability(roles.MANAGE_WORKSPACE)
def rule_move(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Move a rule up or down one place, or to `to` (0 = first: drag and drop)."""
    rule = _access_rule(request, pk)
    order = [r.pk for r in _rules(request)]
    here = order.index(rule.pk)
    direction = request.POST.get("direction", "")
    raw = request.POST.get("to", "").strip()
    to = int(raw) if raw.isdigit() and len(raw) < 6 else None
    if direction == "up":
        to = max(0, here - 1)
    elif direction == "down":
        to = here + 1
    if to is None:
        raise InboxError("Say where to move the rule.")
    actions.move_rule(rule, to=to, by=request.membership)
    return redirect("inbox_settings:routing", ws=request.workspace.slug)


@require_POST
@require_capability(roles.VIEW_INBOX)
def availability(request: WorkspaceRequest, member: int) -> HttpResponse:
    person = get_object_or_404(Membership.objects.for_workspace(request.workspace), pk=member)
    available = request.POST.get("available") == "true"
    actions.set_availability(person, available=available, by=request.membership)
    state = "available" if available else "away"
    messages.success(request, f"{person.display_name} is {state} for routed conversations.")
    return redirect("inbox_settings:routing", ws=request.workspace.slug)


def _test(request: WorkspaceRequest, form: TesterForm) -> dict[str, Any]:
    """Triage the sample as intake would and check it against every rule."""
    workspace = request.workspace
    data = form.cleaned_data
    channel_id = parse_id(data["channel"])
    channel = Channel.objects.for_workspace(workspace).filter(pk=channel_id or 0).first()
    if channel is None:
        raise Http404("No such channel")
    text = data["text"]
    found = analyze(text, Context())
    sentiment = found.sentiment
    learned = learned_sentiment(workspace.pk)
    if learned is not None:
        sentiment = learned.finding(text, found.evidence)
    urgency = found.urgency
    learned_u = learned_urgency(workspace.pk)
    if learned_u is not None:
        urgency = learned_u.finding(text, found.urgency)
    if data["hours"] == "now":
        inbox = service_levels.settings_or_defaults(workspace)
        open_now = service_levels.is_open_at(
            timezone.now(),
            hours=inbox.business_hours,
            zone=service_levels.workspace_zone(workspace),
        )
    else:
        open_now = data["hours"] == "open"
    facts = engine.Facts(
        text=text,
        channel_id=channel.pk,
        channel_kind=channel.kind,
        watch=data["watch"],
        tags=frozenset(t.lower() for t in data["tags"]),
        language=found.language.label,
        sentiment=sentiment.label,
        urgency=urgency.label,
        open_now=open_now,
    )
    rules = _rules(request)
    by_id = {r.pk: r for r in rules}
    decision = engine.evaluate([r.to_rule() for r in rules], facts, explain_all=True)
    names = _names(request)
    winner = by_id[decision.rule.id] if decision.rule is not None else None
    assignee, pool = actions.preview_assignee(winner) if winner is not None else (None, 0)
    return {
        "facts": facts,
        "findings": {
            "sentiment": sentiment,
            "urgency": urgency,
            "language": found.language,
        },
        "checks": [
            (check, by_id[check.rule.id], describe(by_id[check.rule.id], names))
            for check in decision.checks
        ],
        "winner": winner,
        "why": decision.why,
        "assignee": assignee,
        "pool": pool,
    }


@require_capability(roles.VIEW_INBOX)
def rule_tester(request: WorkspaceRequest) -> HttpResponse:
    """Paste a sample message: which rule would hit, and each condition's outcome.
    Nothing is stored and nobody is assigned."""
    form = TesterForm(request.POST or None, workspace=request.workspace)
    result = _test(request, form) if request.method == "POST" and form.is_valid() else None
    context = {"form": form, "result": result, "has_rules": bool(_rules(request))}
    if request.htmx and request.method == "POST":
        return render(request, "inbox/_routing_test_result.html", context)
    return render(request, "inbox/settings_routing_tester.html", context)
