"""Notices, the recipient's own pages, bounces through the email channel's tracking
webhook, and the template checks."""

from __future__ import annotations

import json
import re
from email.utils import parseaddr
from urllib.parse import urlsplit

import pytest

from frontdesk.channels.email.models import EmailChannelConfig
from frontdesk.channels.email.tests.test_webhooks import MAILGUN_KEY, _mailgun_event
from frontdesk.core.errors import ActionError
from frontdesk.outreach import render, sending, tokens
from frontdesk.outreach.actions.authoring import create_template
from frontdesk.outreach.actions.campaigns import create_campaign, send_notice, start_campaign
from frontdesk.outreach.actions.recipients import set_subscription
from frontdesk.outreach.models import (
    Delivery,
    DeliveryState,
    Notice,
    Subscription,
    SubscriptionStatus,
    Suppression,
    Topic,
)

pytestmark = pytest.mark.django_db


def test_a_hold_ready_notice_names_the_item_and_is_sent_once_per_external_id(
    cast, riverside, maya_sender, make_contact, smtp_sink
):
    grace = make_contact("Grace Hopper", "grace@example.org")
    hold = create_template(
        riverside.pk,
        name="Hold ready",
        subject="Your hold is ready: {{ item.title }}",
        html="<p>Hi {{ contact.first_name }}, <i>{{ item.title }}</i> waits for you at "
        "{{ item.branch }} until {{ item.until }}.</p>",
        by=cast["agent"],
    )
    data = {"item": {"title": "The Left Hand of Darkness", "branch": "Eastside", "until": "Fri"}}
    notice, created = send_notice(
        sender=maya_sender,
        template=hold,
        contact=grace,
        data=data,
        external_id="hold-991",
        by=cast["agent"],
    )
    again, created_again = send_notice(
        sender=maya_sender,
        template=hold,
        contact=grace,
        data=data,
        external_id="hold-991",
        by=cast["agent"],
    )
    assert created and not created_again and again == notice
    sending.send_due(budget_seconds=30)
    [mail] = smtp_sink.messages()
    assert mail["Subject"] == "Your hold is ready: The Left Hand of Darkness"
    assert "<i>The Left Hand of Darkness</i> waits for you at Eastside until Fri." in (
        mail.get_body(("html",)).get_content()
    )
    assert mail["Message-ID"] == f"<fd-n{notice.pk}@riverside.example>"
    assert parseaddr(mail["From"])[0] == "Maya Patel via Riverside Public Library"
    # Notices are not lists: no List-Id / bulk precedence, but still unsubscribable.
    assert mail["List-Id"] is None and mail["List-Unsubscribe-Post"]
    # A repeated sweep or run sends nothing more.
    sending.send_due(budget_seconds=30)
    assert len(smtp_sink.received) == 1


def test_preferences_page_and_double_opt_in_work_without_a_login(
    cast, riverside, maya_sender, welcome, make_contact, smtp_sink, client
):
    grace = make_contact("Grace Hopper", "grace@example.org")
    newsletter = Topic.objects.create(
        workspace=riverside, slug="newsletter", name="Monthly newsletter", double_opt_in=True
    )
    Topic.objects.create(workspace=riverside, slug="events", name="Events")
    campaign = create_campaign(name="W", sender=maya_sender, template=welcome, by=cast["agent"])
    start_campaign(campaign, by=cast["agent"])
    sending.send_due(budget_seconds=30)
    delivery = Delivery.objects.get()
    page = f"/o/preferences/{tokens.sign('preferences', delivery.pk)}/"
    response = client.get(page)
    assert response.status_code == 200 and b"Monthly newsletter" in response.content
    assert b'name="viewport"' in response.content  # phone-sized
    response = client.post(page, {"topic": ["newsletter", "events"]})
    assert response.status_code == 200 and b"Saved" in response.content
    statuses = dict(Subscription.objects.values_list("topic__slug", "status"))
    # The newsletter waits for confirmation (double opt-in); events count at once.
    assert statuses == {"newsletter": "pending", "events": "subscribed"}
    assert b"We have sent you a message with a link" in response.content
    # That message went out: to Grace, from Maya (who wrote the mail the page came
    # from), with the link that confirms. Saving again the same day sends no other.
    assert b"Saved" in client.post(page, {"topic": ["newsletter", "events"]}).content
    smtp_sink.received.clear()
    sending.send_due(budget_seconds=30)
    (asked,) = smtp_sink.messages()
    assert parseaddr(asked["To"])[1] == "grace@example.org"
    assert parseaddr(asked["From"])[0].startswith("Maya Patel")
    assert "Monthly newsletter" in asked["Subject"]
    body = asked.get_body(("plain",)).get_content()
    (link,) = re.findall(r"https?://\S+/o/confirm/\S+/", body)
    assert b"Yes, subscribe me" in client.get(urlsplit(link).path).content
    assert Subscription.objects.get(topic=newsletter).status == SubscriptionStatus.PENDING

    # A newsletter campaign skips Grace until she confirms.
    smtp_sink.received.clear()
    news = create_campaign(
        name="News", sender=maya_sender, template=welcome, topic=newsletter, by=cast["agent"]
    )
    assert start_campaign(news, by=cast["agent"]) == 0
    subscription = Subscription.objects.get(topic=newsletter)
    confirm = f"/o/confirm/{tokens.sign('confirm', subscription.pk)}/"
    assert b"Yes, subscribe me" in client.get(confirm).content  # a GET confirms nothing
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PENDING
    assert b"subscribed" in client.post(confirm).content
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.SUBSCRIBED
    news = create_campaign(
        name="News 2", sender=maya_sender, template=welcome, topic=newsletter, by=cast["agent"]
    )
    assert start_campaign(news, by=cast["agent"]) == 1
    sending.send_due(budget_seconds=30)
    assert [parseaddr(m["To"])[1] for m in smtp_sink.messages()] == ["grace@example.org"]
    # Unsubscribing from the newsletter's mail leaves other mail alone.
    set_subscription(grace, newsletter, subscribed=False)
    assert not Suppression.objects.exists()
    # A forged confirmation link is refused.
    assert client.post(f"/o/confirm/{subscription.pk}:forged/").status_code == 404


def test_a_bounce_reported_by_the_tracking_webhook_suppresses_the_address(
    cast, maya_sender, welcome, make_contact, smtp_sink, client
):
    config = EmailChannelConfig.objects.get(channel=maya_sender.email_channel)
    config.inbound_provider = "mailgun"
    config.webhook_secret = MAILGUN_KEY
    config.save()
    make_contact("Grace Hopper", "grace@example.org")
    campaign = create_campaign(name="W", sender=maya_sender, template=welcome, by=cast["agent"])
    start_campaign(campaign, by=cast["agent"])
    sending.send_due(budget_seconds=30)
    delivery = Delivery.objects.get()
    event = _mailgun_event(
        "failed",
        delivery.provider_message_id,
        severity="permanent",
        **{"delivery-status": {"message": "550 5.1.1 mailbox unavailable", "description": ""}},
    )
    url = f"/hooks/email/{config.webhook_key}/mailgun/tracking/"
    assert client.post(url, json.dumps(event), content_type="application/json").status_code == 200
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason) == ("grace@example.org", "bounce")
    delivery.refresh_from_db()
    assert delivery.bounced_at is not None
    # The next campaign does not mail the bounced address.
    second = create_campaign(name="W2", sender=maya_sender, template=welcome, by=cast["agent"])
    start_campaign(second, by=cast["agent"])
    sending.send_due(budget_seconds=30)
    assert len(smtp_sink.received) == 1
    assert Delivery.objects.get(campaign=second).state == DeliveryState.SUPPRESSED


def test_templates_refuse_unknown_placeholders_and_flag_impersonal_wording(cast, riverside):
    with pytest.raises(ActionError, match="contact has only"):
        create_template(riverside.pk, name="x", html="{{ contact.password }}", by=cast["agent"])
    with pytest.raises(ActionError, match="not a placeholder"):
        create_template(riverside.pk, name="x", html="{% load evil %}", by=cast["agent"])
    found = render.impersonal_wording(
        "Dear Customer, your hold is ready.", "This is a no-reply address. Do not reply."
    )
    assert [phrase.lower() for phrase, _ in found] == ["dear customer", "do not reply", "no-reply"]
    assert all(suggestion for _, suggestion in found)
    assert render.impersonal_wording("Hi Grace, just reply if you have a question.") == []


def test_a_newsletter_ticked_with_no_one_to_send_the_confirmation_says_so(
    cast, riverside, maya_sender, welcome, make_contact, smtp_sink, client
):
    """When neither the sender of the mail the page came from nor a default sender can
    send any more, the page says the confirmation could not be sent (and the choice
    stays pending) instead of promising a message."""
    make_contact("Grace Hopper", "grace@example.org")
    Topic.objects.create(
        workspace=riverside, slug="newsletter", name="Monthly newsletter", double_opt_in=True
    )
    campaign = create_campaign(name="W", sender=maya_sender, template=welcome, by=cast["agent"])
    start_campaign(campaign, by=cast["agent"])
    sending.send_due(budget_seconds=30)
    delivery = Delivery.objects.get()
    maya_sender.email_channel.is_active = False
    maya_sender.email_channel.save(update_fields=["is_active"])
    page = f"/o/preferences/{tokens.sign('preferences', delivery.pk)}/"
    response = client.post(page, {"topic": ["newsletter"]})
    assert b"We could not send you the message to confirm with" in response.content
    assert b"We have sent you a message" not in response.content
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING
    assert not Notice.objects.filter(source="page").exists()
