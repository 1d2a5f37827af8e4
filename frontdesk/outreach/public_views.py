"""The recipient's pages: no login, a signed link each, phone-sized.

- unsubscribe: RFC 8058 one-click. A mail client POSTs "List-Unsubscribe=One-Click"
  to the List-Unsubscribe URL with no cookies, so that POST is CSRF-exempt (the
  signed token is the proof); a person following the footer link gets a page with
  a button (a GET changes nothing: link scanners open every link).
- preferences: the topics of this workspace, each on or off; a double opt-in topic
  ticked there is pending until the person confirms it from the message this sends.
- confirm: double opt-in; the button confirms (again, not the GET).
- sender-address: a staff member proves their own From address (the link mailed to
  it); the button verifies it.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from frontdesk.outreach import tokens
from frontdesk.outreach.actions import authoring, confirmations, recipients
from frontdesk.outreach.actions.app_notices import Queued
from frontdesk.outreach.models import (
    Delivery,
    SenderIdentity,
    Subscription,
    SubscriptionStatus,
    Topic,
)
from frontdesk.outreach.sending import sender_of, topic_of


def _bad_link(request: HttpRequest, error: tokens.BadLink) -> HttpResponse:
    return render(
        request,
        "outreach/public/bad_link.html",
        {"error": error},
        status=410 if error.expired else 404,
    )


def _delivery(purpose: str, token: str) -> Delivery:
    pk = tokens.unsign(purpose, token)
    delivery = (
        Delivery.objects.select_related(
            "workspace",
            "contact",
            "campaign__topic",
            "campaign__sender",
            "notice__topic",
            "notice__sender",
        )
        .filter(pk=pk)
        .first()
    )
    if delivery is None:
        raise tokens.BadLink("This link is not valid.")
    return delivery


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        delivery = _delivery("unsubscribe", token)
    except tokens.BadLink as error:
        return _bad_link(request, error)
    done = False
    if request.method == "POST":
        recipients.unsubscribe(delivery)
        done = True
    topic = topic_of(delivery)
    return render(
        request,
        "outreach/public/unsubscribe.html",
        {
            "delivery": delivery,
            "workspace": delivery.workspace,
            "topic": topic,
            "done": done,
            "preferences_token": tokens.sign("preferences", delivery.pk),
        },
    )


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        delivery = _delivery("preferences", token)
    except tokens.BadLink as error:
        return _bad_link(request, error)
    topics = list(Topic.objects.filter(workspace_id=delivery.workspace_id).order_by("name"))
    saved = False
    asked = Queued(0, 0, 0)
    if request.method == "POST":
        wanted = set(request.POST.getlist("topic"))
        with transaction.atomic():
            chosen = [
                recipients.set_subscription(
                    delivery.contact, topic, subscribed=topic.slug in wanted
                )
                for topic in topics
            ]
            # A newsletter (double opt-in) ticked here waits for the person's yes
            # from the confirmation message this sends.
            asked = confirmations.confirm_what_they_chose(
                chosen, today=timezone.localdate(), sender=sender_of(delivery)
            )
        saved = True
    statuses = dict(
        Subscription.objects.filter(contact=delivery.contact, topic__in=topics).values_list(
            "topic_id", "status"
        )
    )
    rows = [
        (
            topic,
            statuses.get(topic.pk) in (SubscriptionStatus.SUBSCRIBED, SubscriptionStatus.PENDING),
            statuses.get(topic.pk) == SubscriptionStatus.PENDING,
        )
        for topic in topics
    ]
    return render(
        request,
        "outreach/public/preferences.html",
        {
            "workspace": delivery.workspace,
            "rows": rows,
            "saved": saved,
            "token": token,
            "confirmation_sent": asked.queued + asked.repeated > 0,
            "confirmation_failed": asked.unreachable > 0,
        },
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        pk = tokens.unsign("confirm", token)
    except tokens.BadLink as error:
        return _bad_link(request, error)
    subscription = Subscription.objects.select_related("topic", "workspace").filter(pk=pk).first()
    if subscription is None:
        return _bad_link(request, tokens.BadLink("This link is not valid."))
    if request.method == "POST":
        recipients.confirm_subscription(subscription)
    return render(
        request,
        "outreach/public/confirm.html",
        {
            "subscription": subscription,
            "workspace": subscription.workspace,
            "done": subscription.status == SubscriptionStatus.SUBSCRIBED,
        },
    )


@require_http_methods(["GET", "POST"])
def sender_address(request: HttpRequest, token: str) -> HttpResponse:
    try:
        sender_id, address = tokens.unsign_address(token)
        sender = (
            SenderIdentity.objects.select_related("workspace")
            .filter(pk=sender_id, from_address=address)
            .first()
        )
        if sender is None:
            raise tokens.BadLink(
                "This link is for an address the sender no longer uses. Ask for a new one."
            )
        if request.method == "POST":
            sender = authoring.prove_address(token)
    except tokens.BadLink as error:
        return _bad_link(request, error)
    return render(
        request,
        "outreach/public/sender_address.html",
        {"sender": sender, "workspace": sender.workspace, "done": sender.from_address_verified},
    )
