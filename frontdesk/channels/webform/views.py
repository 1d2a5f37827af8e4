"""The public "Contact us" pages: /f/<workspace slug>/ and /f/<slug>/embed/ for an iframe.

No sign-in: anyone may write. What protects the workspace instead:
- a honeypot field: a bot that fills it sees the usual thank-you, and nothing is stored;
- a signed, expiring key in every rendered form (see `submissions`): a post that
  did not come from a form this server rendered is sent back to be sent again;
- rate limits per client address and per workspace (see `limits`).

CSRF protection is off for these two views, on purpose: it defends a signed-in
session against requests forged by another site, and these views use no session
at all (a signed-in staff member posting here is just another customer). It would
also break the embed: inside a library's own website the form is a third-party
frame, where browsers withhold the CSRF cookie (SameSite=Lax).

The embed view sends no X-Frame-Options header (`xframe_options_exempt`) so any
site may frame it; every other page keeps X_FRAME_OPTIONS = "DENY". It shows only
the form, so it offers nothing to click-jack beyond what the page itself offers.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

import phonenumbers
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from frontdesk.channels.webform import limits, queries, submissions
from frontdesk.channels.webform.actions import FormSubmission, submit_web_form
from frontdesk.channels.webform.forms import ContactForm
from frontdesk.connectors import base
from frontdesk.core.http import HtmxRequest
from frontdesk.core.models import Membership, Workspace

logger = logging.getLogger(__name__)

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_BRAND = "#1f6f5c"
STALE_FORM = (
    "This page was open for a long time, so we couldn’t send it safely. Everything you "
    "wrote is still here: press Send again."
)
TOO_MANY = (
    "We’ve had several messages from your connection in a short time. Please wait a few "
    "minutes, then press Send again: everything you wrote is still here."
)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def contact_form(request: HtmxRequest, slug: str) -> HttpResponse:
    return _contact_page(request, slug, embedded=False)


@csrf_exempt
@never_cache
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def contact_form_embed(request: HtmxRequest, slug: str) -> HttpResponse:
    return _contact_page(request, slug, embedded=True)


def _contact_page(request: HtmxRequest, slug: str, *, embedded: bool) -> HttpResponse:
    workspace = get_object_or_404(Workspace, slug=slug)
    channel = queries.form_channel(workspace)
    if request.method != "POST":
        form = ContactForm(
            workspace=workspace, initial={"submission": submissions.new_key(workspace)}
        )
        return _render_form(request, workspace, form, embedded=embedded)

    form = ContactForm(request.POST, request.FILES, workspace=workspace)
    if form.is_bot:
        logger.info("web form honeypot filled", extra={"workspace": workspace.pk})
        name = " ".join(str(request.POST.get("name", "")).split())[:160]
        email = str(request.POST.get("email", "")).strip()
        return _render_thanks(
            request,
            workspace,
            responder=queries.on_duty(workspace),
            name=name,
            email=email,
            phone="" if email else str(request.POST.get("phone", ""))[:40],
            embedded=embedded,
        )

    key = submissions.read_key(workspace, request.POST.get("submission"))
    if key is None:
        data = request.POST.copy()
        data["submission"] = submissions.new_key(workspace)
        form = ContactForm(data, request.FILES, workspace=workspace)
        form.is_valid()
        form.add_error(None, STALE_FORM)
        return _render_form(request, workspace, form, embedded=embedded, status=400)
    if not form.is_valid():
        return _render_form(request, workspace, form, embedded=embedded, status=400)

    submission = _submission(form, embedded=embedded)
    submission_id = _submission_id(key, submission)
    # A refresh or double click of a stored submission is answered without counting it.
    if not queries.is_stored(channel, submission_id) and limits.is_limited(
        request, workspace_id=workspace.pk, channel=channel
    ):
        logger.warning("web form rate limited", extra={"workspace": workspace.pk})
        form.add_error(None, TOO_MANY)
        return _render_form(request, workspace, form, embedded=embedded, status=429)

    receipt = submit_web_form(workspace, submission=submission, submission_id=submission_id)
    return _render_thanks(
        request,
        workspace,
        responder=receipt.responder,
        name=submission.name,
        email=submission.email,
        phone=submission.phone,
        embedded=embedded,
    )


def _submission(form: ContactForm, *, embedded: bool) -> FormSubmission:
    data = form.cleaned_data
    photo = None
    upload = data.get("photo")
    if upload:
        upload.seek(0)
        content = upload.read()
        photo = base.InboundAttachment(
            filename=(upload.name or "photo").rsplit("/", 1)[-1][:255],
            content_type=upload.content_type,
            size=len(content),
            data=content,
        )
    return FormSubmission(
        name=data["name"],
        email=data["email"],
        phone=data["phone"],
        message=data["message"],
        consent=data["consent"],
        photo=photo,
        embedded=embedded,
    )


def _submission_id(key: Any, submission: FormSubmission) -> str:
    photo = hashlib.sha256(submission.photo.data or b"").hexdigest() if submission.photo else ""
    return submissions.submission_id(
        key, submission.name, submission.email, submission.phone, submission.message, photo
    )


def palette(color: str) -> dict[str, str]:
    """The page's colours from the workspace's brand colour, with readable button text."""
    brand = color if HEX_COLOR.match(color or "") else DEFAULT_BRAND
    red, green, blue = (int(brand[i : i + 2], 16) for i in (1, 3, 5))

    def mix(target: int, amount: float) -> str:
        channels = (round(c + (target - c) * amount) for c in (red, green, blue))
        return "#" + "".join(f"{c:02x}" for c in channels)

    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    # White text needs a dark enough background for WCAG's 4.5:1; otherwise dark text.
    on_brand = "#ffffff" if (1.05 / (luminance + 0.05)) >= 4.5 else "#1e2422"
    return {
        "brand": brand,
        "brand_strong": mix(0, 0.18),
        "brand_soft": mix(255, 0.88),
        "on_brand": on_brand,
    }


def _context(workspace: Workspace, *, embedded: bool) -> dict[str, Any]:
    return {
        "organisation": workspace,
        "colors": palette(workspace.brand_color),
        "embedded": embedded,
    }


def _render_form(
    request: HtmxRequest,
    workspace: Workspace,
    form: ContactForm,
    *,
    embedded: bool,
    status: int = 200,
) -> HttpResponse:
    context = _context(workspace, embedded=embedded) | {"form": form}
    return render(request, "webform/contact.html", context, status=status)


def _render_thanks(
    request: HtmxRequest,
    workspace: Workspace,
    *,
    responder: Membership | None,
    name: str,
    email: str,
    phone: str,
    embedded: bool,
) -> HttpResponse:
    if email:
        how = "by email"
    elif phone:
        how = f"at {_readable_phone(phone, workspace.default_country)}"
    else:
        how = ""
    context = _context(workspace, embedded=embedded) | {
        "thanks": True,
        "customer_first_name": name.split()[0] if name.split() else "",
        "responder": responder,
        "how": how,
        "wait": queries.usual_wait(workspace),
    }
    return render(request, "webform/contact.html", context)


def _readable_phone(phone: str, country: str) -> str:
    try:
        number = phonenumbers.parse(phone, country or None)
    except phonenumbers.NumberParseException:
        return phone
    same_country = phonenumbers.region_code_for_number(number) == (country or "").upper()
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if same_country
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
