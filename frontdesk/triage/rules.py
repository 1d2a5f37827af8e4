"""Routing rules, evaluated: which rule a customer's message hits, and why.

Pure: no database, no Django. The inbox turns its stored rules (`triage.RoutingRule`)
and what it knows about a message (`Facts`) into these records and calls `evaluate`;
applying the winning rule's actions (assign, priority, tags, draft, notify) happens in
`frontdesk/inbox/actions/routing.py`. The rule tester page calls the same function
with `explain_all=True` to show every rule's conditions and their outcomes.

A rule's conditions are all optional; an empty one is not checked ("any"). A rule
matches when every condition it sets holds; the first active matching rule, in the
workspace's order, wins. A rule without conditions catches everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SENTIMENTS = ("negative", "neutral", "positive")
URGENCIES = ("urgent", "soon", "none")
HOURS = ("", "open", "closed")
ASSIGN_MODES = ("round_robin", "least_busy")


@dataclass(frozen=True)
class Conditions:
    """What a message must look like for a rule to hit. Empty means "any".

    `channels` holds "kind:<kind>" (every channel of that kind) or "channel:<id>";
    `watch` is matched against the listening watch a conversation came from (its
    name or id, case-insensitive); `keywords` and `tags` match when any one does
    (keywords as whole words or phrases, tags case-insensitively); `hours` is
    "open" or "closed" (the workspace's business hours when the message arrived).
    """

    channels: tuple[str, ...] = ()
    watch: str = ""
    keywords: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()
    urgencies: tuple[str, ...] = ()
    hours: str = ""

    def is_empty(self) -> bool:
        return self == Conditions()


@dataclass(frozen=True)
class Actions:
    """What happens to a conversation a rule hits (the inbox applies them).

    `assign` is "" (nobody), "member:<id>", "team:<id>" (a member of the team) or
    "anyone" (anyone who answers customers); for a team or anyone, `mode` picks
    among the *available* people: "round_robin" or "least_busy".
    """

    assign: str = ""
    mode: str = "round_robin"
    priority: str = ""
    tags: tuple[str, ...] = ()
    saved_reply_id: int | None = None
    notify: tuple[int, ...] = ()


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    conditions: Conditions
    actions: Actions
    active: bool = True


@dataclass(frozen=True)
class Facts:
    """What is known about one customer message when it is routed."""

    text: str = ""
    channel_id: int | None = None
    channel_kind: str = ""
    watch: str = ""  # the listening watch's name (or id) it came from, if any
    tags: frozenset[str] = frozenset()  # lower-cased
    language: str = ""
    sentiment: str = ""
    urgency: str = ""  # "urgent", "soon" or "" (none)
    open_now: bool | None = None  # None: unknown


@dataclass(frozen=True)
class Outcome:
    """One condition of one rule: did it hold, and what was compared."""

    condition: str
    matched: bool
    detail: str


@dataclass(frozen=True)
class Check:
    rule: Rule
    matched: bool
    outcomes: tuple[Outcome, ...]
    skipped: bool = False  # inactive

    def why(self) -> str:
        """'keyword “fine”, sentiment negative' — the conditions that made it hit."""
        if not self.outcomes:
            return "no conditions: catches every message"
        return "; ".join(o.detail for o in self.outcomes if o.matched)


@dataclass(frozen=True)
class Decision:
    """The first matching rule (None: no rule hit) and every rule looked at."""

    rule: Rule | None
    checks: tuple[Check, ...] = field(default=())

    @property
    def why(self) -> str:
        for check in self.checks:
            if check.matched:
                return check.why()
        return "no rule matched"


_keyword_patterns: dict[str, re.Pattern[str]] = {}


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    pattern = _keyword_patterns.get(keyword)
    if pattern is None:
        words = [re.escape(w) for w in keyword.lower().split()]
        # Whole words; inner spaces match any run of spaces ("late  fee").
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")
        if len(_keyword_patterns) < 10_000:
            _keyword_patterns[keyword] = pattern
    return pattern


def _channel(conditions: Conditions, facts: Facts) -> Outcome:
    here = {f"kind:{facts.channel_kind}", f"channel:{facts.channel_id}"}
    hit = next((c for c in conditions.channels if c in here), None)
    shown = facts.channel_kind or "unknown channel"
    if hit:
        return Outcome("channel", True, f"channel {shown}")
    return Outcome("channel", False, f"channel {shown} is not one of the rule's")


def _watch(conditions: Conditions, facts: Facts) -> Outcome:
    wanted = conditions.watch.strip().casefold()
    if facts.watch and facts.watch.strip().casefold() == wanted:
        return Outcome("watch", True, f"watch “{facts.watch}”")
    if not facts.watch:
        return Outcome("watch", False, "did not come from a watch")
    return Outcome("watch", False, f"watch “{facts.watch}” is not “{conditions.watch}”")


def _keywords(conditions: Conditions, facts: Facts) -> Outcome:
    text = facts.text.lower()
    for keyword in conditions.keywords:
        if keyword.strip() and _keyword_pattern(keyword.strip()).search(text):
            return Outcome("keywords", True, f"keyword “{keyword.strip()}”")
    return Outcome("keywords", False, "none of the keywords")


def _tags(conditions: Conditions, facts: Facts) -> Outcome:
    for tag in conditions.tags:
        if tag.strip().lower() in facts.tags:
            return Outcome("tags", True, f"tag “{tag.strip()}”")
    return Outcome("tags", False, "no matching tag" if facts.tags else "no tags")


def _one_of(name: str, wanted: tuple[str, ...], value: str, unknown: str) -> Outcome:
    if value and value in wanted:
        return Outcome(name, True, f"{name} {value}")
    return Outcome(name, False, f"{name} {value or unknown}")


def _hours(conditions: Conditions, facts: Facts) -> Outcome:
    if facts.open_now is None:
        return Outcome("hours", False, "business hours unknown")
    state = "open" if facts.open_now else "closed"
    return Outcome("hours", state == conditions.hours, f"{state} hours")


def check(rule: Rule, facts: Facts) -> Check:
    """Every condition the rule sets, in a fixed order, with its outcome."""
    c = rule.conditions
    outcomes: list[Outcome] = []
    if c.channels:
        outcomes.append(_channel(c, facts))
    if c.watch.strip():
        outcomes.append(_watch(c, facts))
    if any(k.strip() for k in c.keywords):
        outcomes.append(_keywords(c, facts))
    if any(t.strip() for t in c.tags):
        outcomes.append(_tags(c, facts))
    if c.languages:
        outcomes.append(_one_of("language", c.languages, facts.language, "unknown"))
    if c.sentiments:
        outcomes.append(_one_of("sentiment", c.sentiments, facts.sentiment, "unknown"))
    if c.urgencies:
        outcomes.append(_one_of("urgency", c.urgencies, facts.urgency or "none", "none"))
    if c.hours:
        outcomes.append(_hours(c, facts))
    return Check(rule=rule, matched=all(o.matched for o in outcomes), outcomes=tuple(outcomes))


def evaluate(
    rules: list[Rule] | tuple[Rule, ...], facts: Facts, *, explain_all: bool = False
) -> Decision:
    """The first active rule, in order, whose conditions all hold for `facts`.

    Stops at the first hit unless `explain_all` (the tester), which checks every
    rule so a person sees why the ones above did not hit and what those below
    would have done.
    """
    checks: list[Check] = []
    winner: Rule | None = None
    for rule in rules:
        if not rule.active:
            if explain_all:
                checks.append(Check(rule=rule, matched=False, outcomes=(), skipped=True))
            continue
        result = check(rule, facts)
        checks.append(result)
        if result.matched and winner is None:
            winner = rule
            if not explain_all:
                break
    return Decision(rule=winner, checks=tuple(checks))


def pick_round_robin(candidates: list[int], last: int | None) -> int | None:
    """The next member after `last` in id order (wrapping round); None if nobody."""
    if not candidates:
        return None
    ordered = sorted(candidates)
    if last is None:
        return ordered[0]
    return next((c for c in ordered if c > last), ordered[0])


def pick_least_busy(candidates: list[int], load: dict[int, int], last: int | None) -> int | None:
    """The member with the fewest open conversations; ties go round-robin after `last`."""
    if not candidates:
        return None
    fewest = min(load.get(c, 0) for c in candidates)
    tied = [c for c in candidates if load.get(c, 0) == fewest]
    return pick_round_robin(tied, last)
