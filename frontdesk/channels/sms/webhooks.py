"""The SMS webhooks: an inbound text, and a delivery report for a text we sent.

Twilio (https://www.twilio.com/docs/usage/webhooks/webhooks-security) POSTs
`application/x-www-form-urlencoded` parameters and signs them with the channel's
auth token over the exact URL it called plus the sorted parameters
(X-Twilio-Signature). So the URL is rebuilt from settings.PUBLIC_BASE_URL (the
address Twilio was given, right behind a proxy), and the body is parsed here as the
provider sent it. Each request: find the channel by the URL's key (unknown: 404),
read the form (bad: 400), then hand it to the SMS adapter, which verifies (forged or
unsigned: 403, nothing stored, logged) and parses (malformed: 400); a text is then
stored durably (a replayed MessageSid finds the stored
row) and answer the provider's empty response at once; processing runs in a task.

A switched-off channel answers a text with 410 Gone after verification, storing
nothing: the library turned texting off, and 410 tells Twilio's debugger why texts
are refused. Its delivery reports are still recorded (those texts did go out).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from frontdesk.channels.sms.lookup import WebhookChannel, channel_for_key
from frontdesk.connectors.base import ConnectorError, InboundRequest
from frontdesk.inbox.actions import record_delivery_status
from frontdesk.inbox.intake import store_inbound_event

logger = logging.getLogger(__name__)

# Twilio's form is a few KB at most (a 1,600-character body, ten media URLs, some
# location fields); anything far larger is not a provider's webhook.
MAX_WEBHOOK_BYTES = 64 * 1024
MAX_WEBHOOK_FIELDS = 200
FORM_TYPE = "application/x-www-form-urlencoded"
SWITCHED_OFF = "This SMS channel is switched off."


class BadWebhook(Exception):
    """A request we cannot read; the message says why, for the provider's debugger."""


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _read(request: HttpRequest) -> InboundRequest:
    content_type = request.content_type or ""
    if content_type != FORM_TYPE:
        raise BadWebhook(f"Expected a form ({FORM_TYPE}), got {content_type or 'no body type'}.")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadWebhook("Unreadable Content-Length.") from None
    if length > MAX_WEBHOOK_BYTES:
        raise BadWebhook(f"Request body too large (over {MAX_WEBHOOK_BYTES // 1024} KB).")
    body = request.read(MAX_WEBHOOK_BYTES + 1)
    if len(body) > MAX_WEBHOOK_BYTES:
        raise BadWebhook(f"Request body too large (over {MAX_WEBHOOK_BYTES // 1024} KB).")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_WEBHOOK_FIELDS,
        )
    except UnicodeDecodeError:
        raise BadWebhook("The form is not valid UTF-8.") from None
    except ValueError:
        raise BadWebhook(f"Too many form fields (over {MAX_WEBHOOK_FIELDS}).") from None
    return InboundRequest(
        method=request.method or "POST",
        url=settings.PUBLIC_BASE_URL + request.get_full_path(),
        headers=request.headers,
        body=body,
        form=dict(pairs),
        pairs=tuple(pairs),
    )


def _found_and_read(
    request: HttpRequest, key: str
) -> tuple[WebhookChannel, InboundRequest] | HttpResponse:
    """The channel and readable request behind a webhook, or the response refusing it."""
    found = channel_for_key(key)
    if found is None:
        return _text("No SMS channel has this address.", 404)
    try:
        return found, _read(request)
    except BadWebhook as exc:
        logger.warning(
            "sms webhook unreadable", extra={"channel": found.config.channel_id, "why": str(exc)}
        )
        return _text(str(exc), 400)


def _refusal(request: HttpRequest, found: WebhookChannel, error: ConnectorError, hook: str):
    """403 for a forged request (logged with the caller's address), else 400."""
    channel_id = found.config.channel_id
    if error.code == "bad_signature":
        logger.warning(
            "sms webhook refused: bad signature",
            extra={
                "channel": channel_id,
                "hook": hook,
                "remote": request.META.get("REMOTE_ADDR", ""),
            },
        )
        return _text("Signature check failed.", 403)
    logger.warning("sms webhook malformed", extra={"channel": channel_id, "why": error.message})
    return _text(error.message, 400)


@csrf_exempt
@require_POST
def inbound(request: HttpRequest, key: str) -> HttpResponse:
    """A customer's text (SMS or MMS): verify, store durably, answer empty TwiML."""
    read = _found_and_read(request, key)
    if isinstance(read, HttpResponse):
        return read
    found, inbound_request = read
    config, account, connector = found.config, found.account, found.connector
    try:
        events = connector.parse_inbound(account, inbound_request)
    except ConnectorError as exc:
        if exc.code != "bad_signature" and not config.channel.is_active:
            return _text(SWITCHED_OFF, 410)  # genuine, but texting is off
        return _refusal(request, found, exc, "inbound")
    if not config.channel.is_active:
        return _text(SWITCHED_OFF, 410)
    for event in events:
        row, created = store_inbound_event(config.channel, event)
        if not created:
            logger.info(
                "sms webhook replayed", extra={"channel": config.channel_id, "event": row.pk}
            )
    content_type, body = connector.webhook_response(account)
    return HttpResponse(body, content_type=content_type)


@csrf_exempt
@require_POST
def status(request: HttpRequest, key: str) -> HttpResponse:
    """A delivery report for a text we sent: update the reply's status for staff."""
    read = _found_and_read(request, key)
    if isinstance(read, HttpResponse):
        return read
    found, inbound_request = read
    config, account, connector = found.config, found.account, found.connector
    try:
        reports = connector.parse_status_callback(account, inbound_request)
    except ConnectorError as exc:
        return _refusal(request, found, exc, "status")
    for report in reports:
        message = record_delivery_status(
            config.channel.workspace,
            provider_message_id=report.provider_message_id,
            status=report.status,
            error_code=report.error_code,
            error_message=report.error_message,
        )
        if message is None:
            # Not ours (or not recorded yet); the provider need not retry either way.
            logger.info(
                "sms status for an unknown message",
                extra={"channel": config.channel_id, "sid": report.provider_message_id},
            )
    content_type, body = connector.webhook_response(account)
    return HttpResponse(body, content_type=content_type)
