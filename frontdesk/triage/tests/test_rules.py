"""Routing rules, evaluated without a database: which rule hits, and why."""

from __future__ import annotations

from frontdesk.triage.rules import (
    Actions,
    Conditions,
    Facts,
    Rule,
    evaluate,
    pick_least_busy,
    pick_round_robin,
)


def rule(id_: int, name: str, active: bool = True, **conditions) -> Rule:
    return Rule(
        id=id_,
        name=name,
        conditions=Conditions(**conditions),
        actions=Actions(assign="anyone"),
        active=active,
    )


FINES = Facts(
    text="I returned the books on time and was still charged a late fee. Please remove it.",
    channel_id=3,
    channel_kind="sms",
    tags=frozenset({"vip"}),
    language="en",
    sentiment="negative",
    urgency="soon",
    open_now=False,
)


def test_the_first_matching_rule_wins_and_says_why():
    rules = [
        rule(1, "Spanish", languages=("es",)),
        rule(2, "Fees by text", channels=("kind:sms",), keywords=("late fee", "fine")),
        rule(3, "Everything"),
    ]
    decision = evaluate(rules, FINES)
    assert decision.rule is not None and decision.rule.name == "Fees by text"
    assert decision.why == "channel sms; keyword “late fee”"
    # It stopped at the hit: the catch-all below was not looked at.
    assert [c.rule.id for c in decision.checks] == [1, 2]
    assert decision.checks[0].outcomes[0].detail == "language en"


def test_explain_all_checks_every_rule_and_reports_each_condition():
    rules = [
        rule(1, "Off", active=False, keywords=("fee",)),
        rule(2, "Unhappy at night", sentiments=("negative",), hours="closed"),
        rule(3, "Urgent", urgencies=("urgent",)),
        rule(4, "Catch-all"),
    ]
    decision = evaluate(rules, FINES, explain_all=True)
    assert decision.rule is not None and decision.rule.id == 2
    by_id = {c.rule.id: c for c in decision.checks}
    assert by_id[1].skipped and not by_id[1].matched
    assert [(o.condition, o.matched, o.detail) for o in by_id[2].outcomes] == [
        ("sentiment", True, "sentiment negative"),
        ("hours", True, "closed hours"),
    ]
    assert [(o.matched, o.detail) for o in by_id[3].outcomes] == [(False, "urgency soon")]
    assert by_id[4].matched and by_id[4].why() == "no conditions: catches every message"


def test_keywords_match_whole_words_and_phrases_case_insensitively():
    fee = rule(1, "Fee", keywords=("Late Fee",))
    assert evaluate([fee], Facts(text="what is this LATE  fee?")).rule == fee
    assert evaluate([fee], Facts(text="the latest feedback")).rule is None
    fine = rule(2, "Fine", keywords=("fine",))
    assert evaluate([fine], Facts(text="Am I fined?")).rule is None
    assert evaluate([fine], Facts(text="A fine, again!")).rule == fine


def test_channel_condition_takes_a_kind_or_one_channel():
    by_kind = rule(1, "Texts", channels=("kind:sms",))
    one = rule(2, "Form 7", channels=("channel:7",))
    assert evaluate([by_kind, one], Facts(channel_id=7, channel_kind="webform")).rule == one
    assert evaluate([by_kind], Facts(channel_id=7, channel_kind="webform")).rule is None
    assert evaluate([by_kind, one], Facts(channel_id=9, channel_kind="sms")).rule == by_kind


def test_watch_condition_matches_the_source_watch_by_name():
    watch = rule(1, "Branch watch", watch="Riverside Library")
    assert evaluate([watch], Facts(watch="riverside library")).rule == watch
    decision = evaluate([watch], Facts(), explain_all=True)
    assert decision.rule is None
    assert decision.checks[0].outcomes[0].detail == "did not come from a watch"


def test_tags_language_and_unknown_values():
    vip = rule(1, "VIP", tags=("VIP",))
    assert evaluate([vip], FINES).rule == vip
    assert evaluate([vip], Facts()).rule is None
    french = rule(2, "French", languages=("fr",))
    decision = evaluate([french], Facts(), explain_all=True)
    assert decision.checks[0].outcomes[0].detail == "language unknown"
    hours = rule(3, "Open", hours="open")
    assert evaluate([hours], Facts(open_now=None)).rule is None
    assert evaluate([hours], Facts(open_now=True)).rule == hours


def test_no_rules_or_no_match():
    assert evaluate([], FINES).rule is None
    decision = evaluate([rule(1, "Positive", sentiments=("positive",))], FINES)
    assert decision.rule is None and decision.why == "no rule matched"


def test_round_robin_goes_round_in_id_order():
    picks, last = [], None
    for _ in range(5):
        last = pick_round_robin([7, 3, 5], last)
        picks.append(last)
    assert picks == [3, 5, 7, 3, 5]
    assert pick_round_robin([], 3) is None
    # The last one left the pool: the next after it in order.
    assert pick_round_robin([3, 7], 5) == 7


def test_least_busy_takes_the_fewest_and_breaks_ties_round_robin():
    assert pick_least_busy([1, 2, 3], {1: 4, 2: 1, 3: 1}, None) == 2
    assert pick_least_busy([1, 2, 3], {1: 4, 2: 1, 3: 1}, 2) == 3
    assert pick_least_busy([1, 2], {}, None) == 1
    assert pick_least_busy([], {}, None) is None
