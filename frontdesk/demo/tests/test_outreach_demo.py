"""The outreach demo: senders who are people, ready-made templates written as a person
(the impersonal-wording check finds nothing), each previewable with a real demo
contact; loading again adds nothing."""

from __future__ import annotations

import pytest

from frontdesk.core.models import ContactIdentity
from frontdesk.demo import outreach as demo
from frontdesk.demo.core import load_demo
from frontdesk.outreach import preview, render
from frontdesk.outreach.models import (
    Campaign,
    ContactData,
    OutreachSettings,
    SenderIdentity,
    Template,
    Topic,
)

pytestmark = pytest.mark.django_db

REQUIRED = {
    "Welcome to the library",
    "Hold ready for pickup",
    "Item overdue",
    "Event reminder",
    "We changed this because of your feedback",
    "Monthly newsletter",
}


@pytest.fixture
def riverside_demo(mailoutbox):
    return load_demo()


def _counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (SenderIdentity, Template, Topic, ContactData, Campaign)
    }


def test_loading_twice_adds_nothing(riverside_demo):
    first = _counts()
    load_demo()
    assert _counts() == first
    assert first["Template"] == len(demo.TEMPLATES) and first["SenderIdentity"] == 4
    draft = Campaign.objects.get(name=demo.DRAFT_CAMPAIGN)
    assert draft.status == "draft" and draft.topic.double_opt_in


def test_the_director_and_a_branch_librarian_are_senders(riverside_demo):
    senders = {s.name: s for s in SenderIdentity.objects.for_workspace(riverside_demo)}
    assert senders["Maya Patel"].title == "Library Director"
    assert senders["Priya Shah"].title.startswith("Branch Librarian")
    assert senders["Priya Shah"].sms_channel is not None
    assert all(s.email_channel is not None for s in senders.values())
    # Community updates from a moderator without a sender of their own come from her.
    settings = OutreachSettings.objects.get(workspace=riverside_demo)
    assert settings.default_sender == senders["Maya Patel"]


def test_every_demo_template_is_personal_and_previews_for_a_real_contact(riverside_demo):
    templates = list(Template.objects.for_workspace(riverside_demo))
    assert {t.name for t in templates} >= REQUIRED
    director = SenderIdentity.objects.get(workspace=riverside_demo, name="Maya Patel")
    for template in templates:
        texts = (template.subject, template.html, template.sms_body)
        assert render.impersonal_wording(*texts) == [], template.name
        assert not any(render.problems(text) for text in texts), template.name
        contact = preview.contacts_for(riverside_demo, template.kind).first()
        assert contact is not None, template.name
        shown = preview.render_for(
            riverside_demo,
            contact,
            kind=template.kind,
            subject=template.subject,
            html=template.html,
            sms_body=template.sms_body,
            sender=director,
        )
        first_name = contact.name.split()[0]
        assert first_name in (shown.html or shown.sms), template.name
        assert "{{" not in shown.subject + shown.html + shown.sms, template.name


def test_home_branches_personalise_the_welcome(riverside_demo):
    ana = ContactIdentity.objects.get(value="ana.lopez@example.org").contact
    welcome = Template.objects.get(workspace=riverside_demo, name="Welcome to the library")
    shown = preview.render_for(
        riverside_demo, ana, kind="email", subject=welcome.subject, html=welcome.html
    )
    assert shown.subject == "Welcome to Riverside Public Library, Ana"
    assert "<b>Eastside</b>" in shown.html


def test_the_draft_newsletter_reaches_its_confirmed_subscribers_only(riverside_demo):
    from frontdesk.outreach import audiences

    draft = Campaign.objects.get(name=demo.DRAFT_CAMPAIGN)
    reached = {
        address
        for _contact, address in audiences.recipients(
            draft.workspace_id, kind="email", audience=draft.audience, topic=draft.topic
        )
    }
    confirmed = {a for a, c in demo.SUBSCRIPTIONS.items() if c.get("newsletter") == "subscribed"}
    assert reached == confirmed and len(reached) == 3
    assert "grace.okoye@example.com" not in reached  # she has not confirmed yet
