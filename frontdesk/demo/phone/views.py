"""The demo phone: a page that plays a customer's phone, and the stand-in of Twilio's
REST API the worker sends the workspace's texts to. Demo mode only (404 otherwise).

The page never talks to the inbox directly: a text goes out through the same signed
webhook Twilio calls (see actions.py), and replies come back through the adapter's
real REST calls, which the stand-in records.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from frontdesk.channels.sms.models import SmsChannelConfig
from frontdesk.core.http import HtmxRequest
from frontdesk.demo.core import DEMO_LOGIN, DEMO_SLUG
from frontdesk.demo.models import TextDirection
from frontdesk.demo.phone import actions, queries
from frontdesk.demo.phone import twilio_view as standin

# A number reserved for fiction (555-01xx), not one of the demo's known customers.
DEFAULT_PHONE = "+15550100188"
SUGGESTIONS = ("Is the library open on Sunday?", "HOURS", "ADDRESS", "HELP")
# Who else the visitor can text as in the Riverside demo: customers with SMS history.
DEMO_PHONES = (
    (DEFAULT_PHONE, "A new customer"),
    ("+15550100133", "Kathy O'Brien"),
    ("+15550100130", "Hiro Tanaka"),
    ("+15550100123", "Ana Lopez"),
)
# A gap this long between two texts puts a time above the second, as phones do.
TIME_GAP = timedelta(minutes=15)


def demo_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HtmxRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.FRONTDESK_DEMO:
            raise Http404("The phone simulator exists only in demo mode.")
        return view(request, *args, **kwargs)

    return wrapper


def _number(value: str | None, default: str | None) -> str | None:
    if not value:
        return default
    try:
        return actions.phone_number(value)
    except actions.PhoneError:
        return default


def _time_label(moment: datetime, zone: Any, now: datetime) -> str:
    local, today = timezone.localtime(moment, zone), timezone.localtime(now, zone).date()
    clock = local.strftime("%I:%M %p").lstrip("0")
    if local.date() == today:
        return f"Today {clock}"
    if local.date() == today - timedelta(days=1):
        return f"Yesterday {clock}"
    return f"{local.strftime('%a %-d %b')} {clock}"


def _thread_context(config: SmsChannelConfig, phone: str, error: str = "") -> dict[str, Any]:
    texts = queries.phone_thread(config, phone)
    zone, now = config.workspace.tzinfo, timezone.now()
    items, previous = [], None
    for text in texts:
        label = None
        if previous is None or text.created_at - previous.created_at > TIME_GAP:
            label = _time_label(text.created_at, zone, now)
        items.append({"text": text, "time": label, "mine": text.direction == "to_library"})
        previous = text
    last_mine = next((t for t in reversed(texts) if t.direction == TextDirection.TO_LIBRARY), None)
    query = urlencode({"to": config.phone_number, "from": phone})
    return {
        "config": config,
        "phone": phone,
        "items": items,
        "last_mine": last_mine,
        "version": queries.thread_version(texts),
        "query": query,
        "error": error,
    }


def _config_or_404(number: str | None) -> SmsChannelConfig:
    config = queries.channel_for_number(number)
    if config is None:
        raise Http404("No SMS channel has that number.")
    return config


@demo_only
@require_GET
def phone(request: HtmxRequest) -> HttpResponse:
    to = _number(request.GET.get("to"), None)
    config = queries.channel_for_number(to)
    context: dict[str, Any] = {
        "demo_login": DEMO_LOGIN,
        "suggestions": SUGGESTIONS,
        "config": config,
        "wanted_number": request.GET.get("to", ""),
    }
    if config is not None:
        phone = _number(request.GET.get("from"), DEFAULT_PHONE)
        assert phone is not None
        context |= _thread_context(config, phone)
        context |= {
            "channel_number": queries.pretty_number(config.phone_number),
            "my_number": queries.pretty_number(phone),
            "phones": DEMO_PHONES if config.workspace.slug == DEMO_SLUG else DEMO_PHONES[:1],
            "login_url": reverse("login"),
        }
    return render(request, "demo/phone.html", context)


@demo_only
@require_POST
def send(request: HtmxRequest) -> HttpResponse:
    config = _config_or_404(_number(request.POST.get("to"), None))
    phone = _number(request.POST.get("from"), DEFAULT_PHONE)
    assert phone is not None
    error = ""
    try:
        actions.send_text(config, phone=phone, body=request.POST.get("body", ""))
    except actions.PhoneError as exc:
        error = str(exc)
    if request.htmx:
        response = render(request, "demo/_phone_thread.html", _thread_context(config, phone, error))
        if error:
            # The text stays in the box to be fixed; a sent one clears it.
            response["HX-Trigger"] = "phone-send-failed"
        return response
    query = urlencode({"to": config.phone_number, "from": phone})
    return redirect(f"{reverse('sms_simulator:phone')}?{query}")


@demo_only
@require_GET
def thread(request: HtmxRequest) -> HttpResponse:
    config = _config_or_404(_number(request.GET.get("to"), None))
    phone = _number(request.GET.get("from"), DEFAULT_PHONE)
    assert phone is not None
    context = _thread_context(config, phone)
    if request.GET.get("v") == context["version"]:
        return HttpResponse(status=204)  # nothing new: htmx keeps the page as it is
    return render(request, "demo/_phone_thread.html", context)


@demo_only
@csrf_exempt
def twilio_standin(request: HtmxRequest, path: str) -> HttpResponse:
    """Twilio's REST API for the demo: the worker's adapter calls this over HTTP."""
    status, headers, body = standin.handle(request, path)
    response = HttpResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    return response
