"""The recipient's pages: no login, a signed link each, phone-sized.

- unsubscribe: RFC 8058 one-click. A mail client POSTs "List-Unsubscribe=One-Click"
  to the List-Unsubscribe URL with no cookies, so that POST is CSRF-exempt (the
  signed token is the proof); a person following the footer link gets a page with
  a button (a GET changes nothing: link scanners open every link).
- preferences: the topics of this workspace, each on or off; a double opt-in topic
  ticked there is pending until the person confirms it from the message this sends.
- confirm: double opt-in; the button confirms (again, not the GET).
- click / open: only in messages of a workspace that tracks opens and clicks. A
  click link redirects to the address signed inside its token (never one from the
  query string) and records the click; past its lifetime it shows a small page with
  that address instead (nothing recorded); forged, the bad-link page. The open
  pixel is always a 1×1 GIF that no cache keeps, recorded or not.
- sender-address: a staff member proves their own From address (the link mailed to
  it); the button verifies it.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from frontdesk.outreach import tokens
from frontdesk.outreach.actions import authoring, confirmations, recipients, tracking
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


# A transparent 1×1 GIF (43 bytes).
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
NO_CACHE = "no-store, no-cache, must-revalidate, max-age=0, private"


def _uncached(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = NO_CACHE
    response["Pragma"] = "no-cache"
    response["Expires"] = "0"
    # The token in this address is nobody else's business (not the target site's).
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt
@require_safe
def click(request: HttpRequest, token: str) -> HttpResponse:
    try:
        delivery_id, target, fresh = tokens.read_click(token)
    except tokens.BadLink as error:
        return _uncached(_bad_link(request, error))
    lowered = target.lower()
    if not (lowered.startswith("https://") or lowered.startswith("http://")) or any(
        ord(char) < 32 for char in target
    ):
        # Signed by us, but only http(s) links without control characters are ever
        # made into click links.
        return _uncached(_bad_link(request, tokens.BadLink("This link is not valid.")))
    if not fresh:
        return _uncached(
            render(request, "outreach/public/old_link.html", {"target": target}, status=200)
        )
    if request.method == "GET":
        tracking.record_click(delivery_id)
    return _uncached(HttpResponseRedirect(target))


@csrf_exempt
@require_safe
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    # An old pixel (signed by us, expired) is still an image, so an old newsletter
    # reads as it did; nothing is recorded for it. One we never signed is not found.
    try:
        delivery_id = tokens.unsign("open", token)
    except tokens.BadLink as error:
        if not error.expired:
            return _uncached(HttpResponseNotFound(content_type="text/plain"))
    else:
        if request.method == "GET":
            tracking.record_open(delivery_id)
    return _uncached(HttpResponse(PIXEL, content_type="image/gif"))


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
