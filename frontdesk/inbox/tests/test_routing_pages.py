"""Settings → Inbox → Routing: the rules page, the rule form, reordering, availability
and the rule tester, as each role sees them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontdesk.inbox.actions.routing import RuleFields, save_rule
from frontdesk.inbox.models import Team
from frontdesk.triage.models import Availability, RoutingRule
from frontdesk.triage.rules import Conditions

pytestmark = pytest.mark.django_db


def url(name, **kwargs):
    return reverse(f"inbox_settings:{name}", kwargs={"ws": "riverside", **kwargs})


@pytest.fixture
def rules(riverside, cast):
    team = Team.objects.create(workspace=riverside, name="Youth services")
    team.members.add(cast["agent"])
    made = [
        save_rule(
            riverside,
            RuleFields(
                name="Fees",
                conditions=Conditions(keywords=("late fee", "fine"), sentiments=("negative",)),
                assign=f"member:{cast['agent'].pk}",
                priority="high",
            ),
            by=cast["admin"],
        ),
        save_rule(
            riverside,
            RuleFields(
                name="Spanish", conditions=Conditions(languages=("es",)), assign=f"team:{team.pk}"
            ),
            by=cast["admin"],
        ),
        save_rule(riverside, RuleFields(name="Everything else", assign="anyone"), by=cast["admin"]),
    ]
    return made


def test_the_rules_page_lists_rules_in_order_in_words(cast, client_for, rules):
    page = client_for(cast["agent"]).get(url("routing"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Fees") < html.index("Spanish") < html.index("Everything else")
    assert "mentions “late fee” or “fine” · unhappy" in html
    assert "assign within Youth services (round-robin)" in html
    # Agents read the rules but get no edit controls.
    assert url("routing-create") not in html
    assert "Move Fees down" not in html


def test_an_admin_creates_a_rule_through_the_form(cast, client_for, riverside, channel):
    client = client_for(cast["admin"])
    assert client.get(url("routing-create")).status_code == 200
    response = client.post(
        url("routing-create"),
        {
            "name": "Urgent texts",
            "is_active": "on",
            "channels": [f"channel:{channel.pk}", "kind:sms"],
            "keywords": "today, deadline",
            "urgencies": ["urgent"],
            "languages": "en",
            "hours": "closed",
            "assign": f"member:{cast['agent'].pk}",
            "mode": "least_busy",
            "priority": "urgent",
            "add_tags": "urgent, after hours",
            "saved_reply": "",
            "notify": [str(cast["owner"].pk)],
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(name="Urgent texts")
    assert rule.conditions == {
        "channels": [f"channel:{channel.pk}", "kind:sms"],
        "keywords": ["today", "deadline"],
        "languages": ["en"],
        "urgencies": ["urgent"],
        "hours": "closed",
    }
    assert (rule.assign_member, rule.assign_mode, rule.set_priority) == (
        cast["agent"],
        "least_busy",
        "urgent",
    )
    assert rule.add_tags == ["urgent", "after hours"]
    assert rule.notify == [cast["owner"].pk]


def test_the_form_refuses_bad_input_with_a_clear_error(cast, client_for):
    client = client_for(cast["admin"])
    page = client.post(
        url("routing-create"),
        {"name": "", "languages": "xx", "assign": f"member:{cast['outsider'].pk}", "mode": "x"},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Unknown language code: xx." in html
    assert "Select a valid choice" in html
    assert not RoutingRule.objects.exists()


def test_agents_and_outsiders_cannot_change_rules(cast, client_for, rules):
    agent = client_for(cast["agent"])
    assert agent.get(url("routing-create")).status_code == 403
    assert agent.post(url("routing-delete", pk=rules[0].pk)).status_code == 403
    assert agent.post(url("routing-move", pk=rules[0].pk), {"direction": "down"}).status_code == 403
    outsider = client_for(cast["outsider"])
    assert outsider.get(url("routing")).status_code == 404
    assert RoutingRule.objects.count() == 3


def test_up_down_and_drag_reorder_the_rules(cast, client_for, rules):
    client = client_for(cast["admin"])
    assert client.post(url("routing-move", pk=rules[2].pk), {"direction": "up"}).status_code == 302
    order = list(RoutingRule.objects.order_by("position").values_list("name", flat=True))
    assert order == ["Fees", "Everything else", "Spanish"]
    # A drop sends the new index.
    client.post(url("routing-move", pk=rules[1].pk), {"to": "0"})
    order = list(RoutingRule.objects.order_by("position").values_list("name", flat=True))
    assert order == ["Spanish", "Fees", "Everything else"]
    assert client.post(url("routing-move", pk=rules[1].pk), {"to": "x"}).status_code == 400


def test_availability_is_set_by_oneself_or_an_admin(cast, client_for):
    agent = client_for(cast["agent"])
    agent.post(url("routing-availability", member=cast["agent"].pk), {"available": "false"})
    assert Availability.objects.get(membership=cast["agent"]).is_available is False
    assert "Away" in agent.get(url("routing")).content.decode()
    refused = agent.post(
        url("routing-availability", member=cast["admin"].pk), {"available": "false"}
    )
    assert refused.status_code == 403
    admin = client_for(cast["admin"])
    admin.post(url("routing-availability", member=cast["agent"].pk), {"available": "true"})
    assert Availability.objects.get(membership=cast["agent"]).is_available is True
    assert (
        client_for(cast["outsider"])
        .post(url("routing-availability", member=cast["agent"].pk), {"available": "false"})
        .status_code
        == 404
    )


def test_the_tester_shows_which_rule_hits_and_each_conditions_outcome(
    cast, client_for, rules, channel
):
    client = client_for(cast["agent"])
    assert client.get(url("routing-test")).status_code == 200
    page = client.post(
        url("routing-test"),
        {
            "text": "I was charged a late fee although I returned the books. "
            "Nobody answered my email. Please remove it.",
            "channel": str(channel.pk),
            "hours": "open",
        },
    )
    html = page.content.decode()
    assert "<strong>Fees</strong> would route it: keyword “late fee”; sentiment negative." in html
    assert "It would go to <strong>Maya Patel</strong>" in html
    # Spanish did not hit, and says why.
    assert '✗</span> <span class="visually-hidden">no:</span> language en' in html
    assert "Would match, but an earlier rule wins" in html  # the catch-all
    # Nothing was stored or assigned.
    assert not RoutingRule.objects.filter(last_assignee__isnull=False).exists()


def test_the_tester_without_a_match_and_with_htmx(cast, client_for, riverside, channel):
    save_rule(
        riverside,
        RuleFields(name="Only Spanish", conditions=Conditions(languages=("es",))),
        by=cast["admin"],
    )
    page = client_for(cast["agent"]).post(
        url("routing-test"),
        {"text": "Is the library open on Sunday?", "channel": str(channel.pk), "hours": "now"},
        HTTP_HX_REQUEST="true",
    )
    html = page.content.decode()
    assert "No rule matches: it would wait in the shared queue." in html
    assert "<html" not in html  # the fragment only
    assert '✗</span> <span class="visually-hidden">no:</span> language en' in html


def test_the_tester_refuses_another_workspaces_channel(cast, client_for, make_channel, hillview):
    theirs = make_channel(workspace=hillview)
    page = client_for(cast["agent"]).post(
        url("routing-test"), {"text": "hello", "channel": str(theirs.pk), "hours": "now"}
    )
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
