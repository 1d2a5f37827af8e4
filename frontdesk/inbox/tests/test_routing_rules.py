"""Routing rules through the real intake: who gets a conversation, and what else a
rule does (priority, team, tags, a draft, notifications), one event at a time and
in the intake's batched rounds."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.core.actions.workspaces import add_member
from frontdesk.core.roles import Role
from frontdesk.inbox import intake
from frontdesk.inbox.actions.routing import (
    RuleFields,
    move_rule,
    save_rule,
    set_availability,
)
from frontdesk.inbox.models import Conversation, Message, Notification, SavedReply, Team
from frontdesk.triage.models import RoutingDecision, RoutingRule
from frontdesk.triage.rules import Conditions

pytestmark = pytest.mark.django_db


@pytest.fixture
def agents(riverside, cast, make_user):
    """Maya (the cast's agent) and two more agents, in id order."""
    more = [
        add_member(
            riverside,
            user=make_user(f"{name.lower()}@riverside.example", name),
            role=Role.AGENT,
            display_name=name,
        )
        for name in ("Bea", "Carl")
    ]
    return [cast["agent"], *more]


@pytest.fixture
def rule(riverside, cast):
    def make(name="Rule", **fields):
        conditions = fields.pop("conditions", Conditions())
        return save_rule(
            riverside,
            RuleFields(name=name, conditions=conditions, **fields),
            by=cast["admin"],
        )

    return make


def _batch(channel, make_event, bodies_and_senders, *, prefix="r"):
    start = timezone.now() - timedelta(minutes=10)
    for n, (sender, body) in enumerate(bodies_and_senders):
        intake.store_inbound_event(
            channel,
            make_event(
                provider_id=f"{prefix}-{n}",
                sender=sender,
                body=body,
                received_at=start + timedelta(seconds=n),
            ),
        )
    while intake.process_inbound_events():
        pass


def test_a_message_matching_a_rule_goes_to_the_named_person_who_is_told(
    cast, channel, receive, rule
):
    rule(
        "Fees",
        conditions=Conditions(keywords=("late fee",)),
        assign=f"member:{cast['agent'].pk}",
        priority="high",
        tags=("Fees",),
    )
    row = receive(channel, body="Why is there a late fee on my card?")
    conversation = row.message.conversation
    assert conversation.assignee == cast["agent"]
    assert conversation.priority == "high"
    assert [t.name for t in conversation.tags.all()] == ["Fees"]
    [note] = Notification.objects.filter(recipient=cast["agent"])
    assert (note.kind, note.conversation, note.actor) == ("assigned", conversation, None)
    decision = RoutingDecision.objects.get(message=row.message)
    assert decision.rule_name == "Fees"
    assert decision.why == "keyword “late fee”"
    assert "assigned to Maya Patel" in decision.did


def test_a_message_no_rule_matches_stays_unassigned(cast, channel, receive, rule):
    rule("Fees", conditions=Conditions(keywords=("late fee",)), assign="anyone")
    row = receive(channel, body="Is the library open on Sunday?")
    assert row.message.conversation.assignee is None
    assert not RoutingDecision.objects.exists()
    assert not Notification.objects.exists()


def test_rules_are_tried_in_their_order(cast, channel, receive, rule):
    first = rule("Anything", assign=f"member:{cast['admin'].pk}")
    second = rule(
        "Fees", conditions=Conditions(keywords=("fee",)), assign=f"member:{cast['agent'].pk}"
    )
    assert receive(channel, body="fee?").message.conversation.assignee == cast["admin"]
    move_rule(second, to=0, by=cast["admin"])
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["Fees", "Anything"]
    row = receive(channel, body="another fee?", sender="bo@example.org")
    assert row.message.conversation.assignee == cast["agent"]
    assert first.pk  # still there, now second


def test_round_robin_hands_conversations_out_in_turn(channel, make_event, rule, agents):
    team = Team.objects.create(workspace=channel.workspace, name="Front desk")
    team.members.set(agents)
    rule("Everyone", assign=f"team:{team.pk}", mode="round_robin")
    _batch(channel, make_event, [(f"c{n}@example.org", f"hello {n}") for n in range(7)])
    conversations = Conversation.objects.order_by("created_at", "id")
    picks = [c.assignee.display_name for c in conversations]
    assert picks == ["Maya Patel", "Bea", "Carl", "Maya Patel", "Bea", "Carl", "Maya Patel"]
    assert {c.team_id for c in conversations} == {team.pk}
    # The cursor is kept: the next conversation goes on from there.
    _batch(channel, make_event, [("late@example.org", "hi")], prefix="late")
    assert (
        Conversation.objects.get(contact__identities__value="late@example.org").assignee
        == (agents[1])
    )


def test_least_busy_fills_up_whoever_has_the_fewest_open_conversations(
    channel, make_event, make_conversation, rule, agents
):
    maya, bea, _carl = agents
    for _ in range(3):
        make_conversation(assignee=maya)
    make_conversation(assignee=bea)
    team = Team.objects.create(workspace=channel.workspace, name="Desk")
    team.members.set(agents)
    rule("Least busy", assign=f"team:{team.pk}", mode="least_busy")
    _batch(channel, make_event, [(f"l{n}@example.org", "hello") for n in range(4)])
    counts = {
        m.display_name: Conversation.objects.filter(assignee=m, status="open").count()
        for m in agents
    }
    # Carl 0 -> 1, then Bea and Carl tie at 1 ... everyone ends within one of the others.
    assert counts == {"Maya Patel": 3, "Bea": 3, "Carl": 2}


def test_only_available_people_are_picked(cast, channel, make_event, rule, agents):
    _maya, bea, carl = agents
    set_availability(bea, available=False, by=bea)
    set_availability(carl, available=False, by=cast["admin"])
    rule("Anyone", assign="anyone")
    _batch(channel, make_event, [(f"a{n}@example.org", "hello") for n in range(4)])
    assignees = set(Conversation.objects.values_list("assignee__display_name", flat=True))
    # Owner, admin and Maya answer customers; the moderator never does.
    assert assignees == {"Olivia Owens", "Amir Haddad", "Maya Patel"}


def test_a_named_person_who_is_away_gets_nothing_and_the_decision_says_so(
    cast, channel, receive, rule
):
    set_availability(cast["agent"], available=False, by=cast["agent"])
    rule("To Maya", assign=f"member:{cast['agent'].pk}")
    row = receive(channel)
    assert row.message.conversation.assignee is None
    assert RoutingDecision.objects.get().did == "nobody available to assign"


def test_an_agent_cannot_mark_a_colleague_away_or_edit_rules(cast, rule):
    from frontdesk.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        set_availability(cast["admin"], available=False, by=cast["agent"])
    with pytest.raises(NotAllowed):
        save_rule(cast["agent"].workspace, RuleFields(name="Mine"), by=cast["agent"])
    with pytest.raises(NotAllowed):
        save_rule(cast["agent"].workspace, RuleFields(name="Theirs"), by=cast["outsider"])


def test_a_rule_cannot_name_people_or_teams_of_another_workspace(cast, riverside, hillview):
    from frontdesk.inbox.actions.common import InboxError

    elsewhere = Team.objects.create(workspace=hillview, name="Hillview team")
    for assign in (f"member:{cast['outsider'].pk}", f"team:{elsewhere.pk}"):
        with pytest.raises(InboxError):
            save_rule(riverside, RuleFields(name="x", assign=assign), by=cast["admin"])
    with pytest.raises(InboxError):
        save_rule(riverside, RuleFields(name="x", notify=(cast["outsider"].pk,)), by=cast["admin"])


def test_another_workspaces_rules_never_route_here(cast, channel, receive, hillview):
    save_rule(hillview, RuleFields(name="Hillview: all", assign="anyone"), by=cast["outsider"])
    row = receive(channel)
    assert row.message.conversation.assignee is None
    assert not RoutingDecision.objects.exists()


def test_the_promised_person_keeps_the_conversation_and_other_actions_still_apply(
    cast, channel, receive, make_event, rule
):
    rule("All to Amir", assign=f"member:{cast['admin'].pk}", tags=("web",))
    event = make_event()
    event = dataclasses.replace(
        event, raw={**event.raw, "acknowledged_responder": cast["agent"].pk}
    )
    row = receive(channel, event)
    conversation = row.message.conversation
    assert conversation.assignee == cast["agent"]
    assert [t.name for t in conversation.tags.all()] == ["web"]


def test_a_saved_reply_becomes_the_draft_and_named_people_are_notified_once_per_wait(
    cast, channel, receive, rule
):
    saved = SavedReply.objects.create(
        workspace=channel.workspace, title="Fees", body="Hi {{ contact.first_name }}, about fees:"
    )
    rule(
        "Fees",
        conditions=Conditions(keywords=("fee",)),
        saved_reply_id=saved.pk,
        notify=(cast["owner"].pk,),
    )
    first = receive(channel, body="a fee?", name="Ada Lovelace")
    receive(channel, body="the fee again?", sender="ada@example.org")
    decision = RoutingDecision.objects.filter(message=first.message).get()
    assert decision.draft == "Hi Ada, about fees:"
    # The second message continued the same wait: the owner was told once.
    notes = Notification.objects.filter(recipient=cast["owner"], kind="routed")
    assert notes.count() == 1
    assert RoutingDecision.objects.count() == 2


def test_a_priority_set_by_staff_is_not_lowered(cast, channel, receive, make_conversation, rule):
    existing = make_conversation(email="ada@example.org")
    existing.priority = "urgent"
    existing.save()
    rule("Low", priority="low")
    receive(channel, sender="ada@example.org")
    existing.refresh_from_db()
    assert existing.priority == "urgent"
    # A new conversation takes the rule's priority, lower or not.
    row = receive(channel, sender="new@example.org")
    assert row.message.conversation.priority == "low"


def test_conditions_on_triage_findings(cast, channel, receive, rule):
    rule(
        "Unhappy",
        conditions=Conditions(sentiments=("negative",)),
        assign=f"member:{cast['admin'].pk}",
    )
    unhappy = receive(
        channel,
        body="Nobody has answered my email for two weeks. I'd like these fines removed.",
        sender="u@example.org",
    )
    happy = receive(channel, body="Thank you so much, the staff were wonderful!")
    assert unhappy.message.conversation.assignee == cast["admin"]
    assert happy.message.conversation.assignee is None


def test_rules_are_read_once_per_round(channel, make_event, rule, django_assert_max_num_queries):
    from frontdesk.inbox.actions.routing import Arrival, plan_routing

    rule("Tags?", conditions=Conditions(keywords=("nothing-matches",)), assign="anyone")
    _batch(channel, make_event, [(f"q{n}@example.org", "hello") for n in range(5)])
    arrivals = [
        Arrival(m.conversation, m, m.inbound_event, created=False, started_wait=False)
        for m in Message.objects.select_related(
            "inbound_event", "conversation__channel", "conversation__workspace"
        )
    ]
    with django_assert_max_num_queries(1):
        plan_routing(arrivals)


def test_the_conversation_page_offers_the_draft_and_says_which_rule_routed_it(
    cast, channel, receive, rule, client_for
):
    from django.urls import reverse

    saved = SavedReply.objects.create(
        workspace=channel.workspace, title="Fees", body="Hi {{ contact.first_name }}, about fees:"
    )
    rule(
        "Fees",
        conditions=Conditions(keywords=("fee",)),
        assign=f"member:{cast['agent'].pk}",
        saved_reply_id=saved.pk,
    )
    row = receive(channel, body="a fee?", name="Ada Lovelace")
    number = row.message.conversation.number
    page = client_for(cast["agent"]).get(
        reverse("inbox:conversation", kwargs={"ws": "riverside", "number": number})
    )
    html = page.content.decode()
    assert "Routed by <strong>Fees</strong>: keyword “fee” — assigned to Maya Patel" in html
    body = html[html.index('id="composer-body"') :]
    assert body[body.index(">") + 1 :].startswith("Hi Ada, about fees:</textarea>")
