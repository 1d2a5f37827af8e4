"""The recipient's pages (unsubscribe, preferences, newsletter confirmation) on a
phone, with no account: a real `frontdesk serve` and Chromium at 390x844."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.system

MAKE_DELIVERY = """
from frontdesk.core.models import Contact, ContactIdentity, Membership
from frontdesk.outreach import tokens
from frontdesk.outreach.models import (Campaign, Delivery, SenderIdentity, Subscription, Template,
    Topic)
member = Membership.objects.get(workspace_id={ws})
contact = Contact.objects.create(workspace_id={ws}, name="Grace Hopper")
ContactIdentity.objects.create(workspace_id={ws}, contact=contact, kind="email",
    value="grace.phone@example.org")
sender = SenderIdentity.objects.create(workspace_id={ws}, member=member, name="Sam Tester")
template = Template.objects.create(workspace_id={ws}, name="Welcome", subject="Hi",
    html="<p>Hi</p>")
campaign = Campaign.objects.create(workspace_id={ws}, name="Welcome", sender=sender,
    template=template, status="done")
delivery = Delivery.objects.create(workspace_id={ws}, campaign=campaign, contact=contact,
    address="grace.phone@example.org", idempotency_key="fd-browser-1", state="sent")
news = Topic.objects.create(workspace_id={ws}, slug="newsletter", name="Monthly newsletter",
    description="What's new at your branch, once a month.", double_opt_in=True)
Topic.objects.create(workspace_id={ws}, slug="events", name="Events near you")
subscription = Subscription.objects.create(workspace_id={ws}, contact=contact, topic=news,
    status="pending")
print(tokens.sign("unsubscribe", delivery.pk), tokens.sign("preferences", delivery.pk),
    tokens.sign("confirm", subscription.pk))
"""

# Grace's choices only: the server's demo library has patrons with choices of their own.
COUNT = """
from frontdesk.core.models import ContactIdentity
from frontdesk.outreach.models import Subscription, Suppression
grace = ContactIdentity.objects.filter(value="grace.phone@example.org").values("contact_id")
choices = Subscription.objects.filter(contact_id__in=grace)
print(sorted(choices.values_list("topic__slug", "status")),
    list(Suppression.objects.values_list("address", flat=True)))
"""


def _fits(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_recipient_pages_work_on_a_phone_without_signing_in(frontdesk_server, new_page, screenshot):
    unsubscribe, preferences, confirm = frontdesk_server.shell(
        MAKE_DELIVERY.format(ws=frontdesk_server.workspace_id)
    ).split()
    page = new_page(width=390, height=844)

    page.goto(f"{frontdesk_server.base_url}/o/confirm/{confirm}/")
    assert _fits(page)
    screenshot(page, "outreach-confirm-phone")
    page.get_by_role("button", name="Yes, subscribe me").click()
    page.get_by_role("heading", name="You're subscribed").wait_for()

    page.goto(f"{frontdesk_server.base_url}/o/preferences/{preferences}/")
    assert _fits(page)
    assert page.get_by_label("Monthly newsletter").is_checked()
    page.get_by_label("Events near you").check()
    screenshot(page, "outreach-preferences-phone")
    page.get_by_role("button", name="Save my choices").click()
    page.get_by_text("Saved. Thank you!").wait_for()

    page.goto(f"{frontdesk_server.base_url}/o/unsubscribe/{unsubscribe}/")
    assert _fits(page)
    screenshot(page, "outreach-unsubscribe-phone")
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You're unsubscribed").wait_for()
    screenshot(page, "outreach-unsubscribed-phone")

    assert frontdesk_server.shell(COUNT) == (
        "[('events', 'subscribed'), ('newsletter', 'subscribed')] ['grace.phone@example.org']"
    )
