"""Provider webhooks of email channels, through django-anymail's views.

Each channel has its own URLs (its unguessable webhook key) and its own secret, so
one install serves many workspaces with different provider accounts. The view of the
provider named in the URL is built with the channel's secret and used for what
anymail does well: checking the request (Mailgun's HMAC signature of timestamp and
token; HTTP basic auth for Postmark, SendGrid, Amazon SES and Brevo) and turning the
provider's payload into anymail's normalised events. A forged request is refused
with 403 before anything is read; a malformed one gets 400.

Inbound: each received mail's raw bytes go to `receive_raw` (stored first, dedupe
per mailbox on Message-ID plus a content hash, so a retried webhook is stored once);
2xx follows only once they are durable. Tracking: delivered, bounced, complained
events update the reply they concern (found by the Message-ID we put in the mail's
metadata, the mail's own Message-ID header as the provider reports it, or the
provider's id); a soft bounce (the provider keeps trying) changes nothing; an event
about mail that is not one of our replies is ignored. SendGrid's Signed Event Webhook
is checked too when the channel has its verification key (ECDSA P-256 over the
timestamp header and the body), with or without basic auth.

Amazon SES posts through Amazon SNS, and every SNS message is checked before anymail
reads it (connectors/email/sns.py): its topic must be one of the channel's SNS topics,
its RSA signature must verify against the signing certificate fetched (once, then
cached) only from an allowed Amazon SNS address (`settings.SNS_ALLOWED_URLS`), and it
must be under an hour old (SNS retries for at most that long). Each MessageId is
accepted once per channel: a replay gets 409. A SubscriptionConfirmation that passes
is confirmed by fetching its SubscribeURL, again only from an allowed address. The
basic-auth secret is optional for SES (when set, SNS first gets the 401 challenge it
needs before it sends the credentials).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from frontdesk.channels.email.models import (
    EmailChannelConfig,
    SnsMessageReceipt,
    UndeliverableAddress,
)
from frontdesk.channels.email.receive import receive_raw
from frontdesk.connectors.email import sns
from frontdesk.core.actions.contacts import set_consent
from frontdesk.core.models import ConsentStatus, ConsentTopic
from frontdesk.inbox.actions.replies import record_delivery_status
from frontdesk.inbox.models import Message, MessageKind
from frontdesk.outreach.actions.recipients import record_provider_event

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderViews:
    inbound: str
    tracking: str
    signed: bool  # True: the secret is a signing key; False: basic auth user:password
    raw_fields: tuple[str, ...] = ()  # POST/JSON fields holding the raw MIME, if sent


PROVIDERS = {
    "mailgun": ProviderViews(
        "anymail.webhooks.mailgun.MailgunInboundWebhookView",
        "anymail.webhooks.mailgun.MailgunTrackingWebhookView",
        signed=True,
        raw_fields=("body-mime",),
    ),
    "postmark": ProviderViews(
        "anymail.webhooks.postmark.PostmarkInboundWebhookView",
        "anymail.webhooks.postmark.PostmarkTrackingWebhookView",
        signed=False,
    ),
    "sendgrid": ProviderViews(
        "anymail.webhooks.sendgrid.SendGridInboundWebhookView",
        "anymail.webhooks.sendgrid.SendGridTrackingWebhookView",
        signed=False,
        raw_fields=("email",),
    ),
    "amazon_ses": ProviderViews(
        "anymail.webhooks.amazon_ses.AmazonSESInboundWebhookView",
        "anymail.webhooks.amazon_ses.AmazonSESTrackingWebhookView",
        signed=False,
    ),
    "brevo": ProviderViews(
        "anymail.webhooks.brevo.BrevoInboundWebhookView",
        "anymail.webhooks.brevo.BrevoTrackingWebhookView",
        signed=False,
    ),
}


def _config(key: str, provider: str) -> EmailChannelConfig:
    if provider not in PROVIDERS:
        raise Http404("unknown provider")
    config = (
        EmailChannelConfig.objects.select_related("channel__workspace")
        .filter(webhook_key=key)
        .first()
    )
    if config is None:
        raise Http404("unknown channel")
    return config


def _view(path: str, provider: str, secret: str, verification_key: str = "") -> Any:
    from django.utils.module_loading import import_string

    view_class = import_string(path)
    if provider == "amazon_ses":
        view_class = _without_boto(view_class)
    kwargs: dict[str, Any] = {}
    if PROVIDERS[provider].signed:
        kwargs = {"webhook_signing_key": secret, "webhook_secret": []}
    else:
        kwargs = {"webhook_secret": [secret] if secret else []}
    if verification_key and path == PROVIDERS["sendgrid"].tracking:
        # SendGrid's Signed Event Webhook: ECDSA over timestamp + body (anymail checks).
        kwargs["tracking_webhook_verification_key"] = verification_key
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anymail's notes about SendGrid support
        return view_class(**kwargs)


def _without_boto(view_class: Any) -> Any:
    """anymail's Amazon SES view without its boto3 set-up: Frontdesk takes the mail from
    the SNS notification itself (a receipt rule's SNS action), never fetches from S3,
    and confirms subscriptions itself, after checking their signature (`_checked_sns`)."""
    from anymail.webhooks.amazon_ses import AmazonSESBaseWebhookView

    class WithoutBoto(view_class):
        def __init__(self, **kwargs: Any) -> None:
            self.auto_confirm_enabled = False
            self.session_params: dict[str, Any] = {}
            self.client_params: dict[str, Any] = {}
            super(AmazonSESBaseWebhookView, self).__init__(**kwargs)

    return WithoutBoto


@dataclass(frozen=True)
class Checked:
    """A verified webhook request: anymail's events, and for Amazon SES the SNS message
    they came in (its MessageId is recorded with the events' effects, once)."""

    events: list[Any]
    sns_message: sns.SnsMessage | None = None


def _checked_events(
    request: HttpRequest, config: EmailChannelConfig, which: str, provider: str
) -> tuple[Checked | None, HttpResponse | None]:
    """(Checked, None) for a verified request, or (None, the refusal response)."""
    from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure

    secret = config.webhook_secret.strip()
    verification_key = "".join(config.tracking_verification_key.split())
    if provider != "sendgrid" or which != "tracking":
        verification_key = ""
    if provider == "amazon_ses":
        if not config.sns_topics():
            return None, HttpResponse("This channel has no Amazon SNS topic yet.", status=403)
    elif not secret and not verification_key:
        return None, HttpResponse("This channel has no webhook secret yet.", status=403)
    if not config.channel.is_active:
        return None, HttpResponse("This channel is switched off.", status=403)
    sns_message = None
    if provider == "amazon_ses":
        if secret and not request.META.get("HTTP_AUTHORIZATION"):
            # SNS sends the URL's user:password only after a 401 challenge.
            challenge = HttpResponse("Unauthorized: basic auth needed.", status=401)
            challenge["WWW-Authenticate"] = 'Basic realm="Frontdesk"'
            return None, challenge
        sns_message, refusal = _checked_sns(request, config)
        if refusal is not None:
            return None, refusal
    views = PROVIDERS[provider]
    try:
        view = _view(getattr(views, which), provider, secret, verification_key)
        view.setup(request)
        view.run_validators(request)
    except AnymailWebhookValidationFailure:
        logger.warning("email webhook refused", extra={"channel": config.channel_id})
        return None, HttpResponse(
            "Forbidden: the request's signature or secret is wrong.", status=403
        )
    except (AnymailError, ValueError, KeyError) as exc:
        return None, HttpResponse(f"Bad request: {exc}", status=400)
    if sns_message is not None and sns_message.type != "Notification":
        return None, _sns_confirmation(sns_message, config)
    try:
        events = view.parse_events(request)
    except (AnymailError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return None, HttpResponse(f"Bad request: {type(exc).__name__}", status=400)
    return Checked(list(events), sns_message), None


def _checked_sns(
    request: HttpRequest, config: EmailChannelConfig
) -> tuple[sns.SnsMessage | None, HttpResponse | None]:
    try:
        envelope = sns.parse(request.body)
        return sns.verify(
            envelope, topic_arns=config.sns_topics(), allowed_urls=settings.SNS_ALLOWED_URLS
        ), None
    except sns.SnsRefused as refused:
        logger.warning(
            "amazon sns message refused",
            extra={"channel": config.channel_id, "reason": refused.message},
        )
        return None, HttpResponse(refused.message, status=refused.status)


def _sns_confirmation(message: sns.SnsMessage, config: EmailChannelConfig) -> HttpResponse:
    """A verified (un)subscription confirmation of one of the channel's topics."""
    if message.type == "UnsubscribeConfirmation":
        logger.info("amazon sns unsubscribed", extra={"channel": config.channel_id})
        return HttpResponse("noted")
    try:
        sns.confirm_subscription(message, allowed_urls=settings.SNS_ALLOWED_URLS)
    except sns.SnsRefused as refused:
        return HttpResponse(refused.message, status=refused.status)
    logger.info("amazon sns subscription confirmed", extra={"channel": config.channel_id})
    return HttpResponse("subscription confirmed")


def _first_delivery(config: EmailChannelConfig, message: sns.SnsMessage | None) -> bool:
    """Record an SNS message as received (inside the caller's transaction, so a failure
    later lets SNS's retry in); False when it was received before: a replay."""
    if message is None:
        return True
    too_old = timezone.now() - sns.MAX_AGE - 2 * sns.CLOCK_SKEW
    SnsMessageReceipt.objects.filter(channel=config.channel, received_at__lt=too_old).delete()
    try:
        with transaction.atomic():
            SnsMessageReceipt.objects.create(
                workspace=config.channel.workspace,
                channel=config.channel,
                message_id=message.message_id[:100],
            )
    except IntegrityError:
        logger.warning("amazon sns replay refused", extra={"channel": config.channel_id})
        return False
    return True


REPLAYED = "Conflict: this SNS message was received before (a replay); not processed again."


def _raw_of(request: HttpRequest, event: Any, provider: str) -> bytes:
    for name in PROVIDERS[provider].raw_fields:
        value = request.POST.get(name)
        if value:
            return value.encode("utf-8", "surrogateescape")
    message = getattr(event, "message", None)
    if message is None:
        return b""
    try:
        raw: bytes = message.as_bytes()
    except Exception:
        raw = str(message).encode("utf-8", "replace")
    return raw


@csrf_exempt
@require_POST
def inbound(request: HttpRequest, key: str, provider: str) -> HttpResponse:
    config = _config(key, provider)
    checked, refusal = _checked_events(request, config, "inbound", provider)
    if checked is None:
        return refusal or HttpResponse(status=400)
    stored = 0
    with transaction.atomic():
        if not _first_delivery(config, checked.sns_message):
            return HttpResponse(REPLAYED, status=409)
        for event in checked.events:
            message = getattr(event, "message", None)
            recipient = (
                getattr(message, "envelope_recipient", None) if message is not None else None
            )
            result = receive_raw(
                config.channel,
                _raw_of(request, event, provider),
                via=provider,
                envelope_recipients=[recipient] if recipient else (),
                max_bytes=config.max_message_bytes,
            )
            stored += int(result.created)
    return HttpResponse(f"stored {stored}")


TRACKING_FAILED = frozenset({"bounced", "rejected", "failed"})
# Bounces a provider reports as temporary (it tries again, then says delivered or
# bounced for good): they neither fail the reply nor mark the address.
SOFT_BOUNCES = {
    "brevo": ("event", frozenset({"soft_bounce"})),
    "postmark": ("Type", frozenset({"SoftBounce", "Transient", "DnsError"})),
    "sendgrid": ("type", frozenset({"blocked"})),
}


def _is_soft_bounce(event: Any, provider: str) -> bool:
    esp_event = getattr(event, "esp_event", None)
    if not isinstance(esp_event, dict):
        return False
    if provider == "amazon_ses":
        bounce = esp_event.get("bounce") or {}
        return isinstance(bounce, dict) and bounce.get("bounceType") == "Transient"
    field, values = SOFT_BOUNCES.get(provider, ("", frozenset()))
    return bool(field) and esp_event.get(field) in values


def _candidate_ids(event: Any) -> list[str]:
    """The ids a tracking event may name our reply by, most specific first: the
    Message-ID we put in the metadata (Mailgun, Postmark, SendGrid, Brevo), the mail's
    own Message-ID header as the provider saw it (Amazon SES's mail headers), the
    provider's message id (Brevo's is the Message-ID header)."""
    found: list[str] = []
    metadata = getattr(event, "metadata", None) or {}
    if isinstance(metadata, dict) and metadata.get("frontdesk_message_id"):
        found.append(str(metadata["frontdesk_message_id"]))
    esp_event = getattr(event, "esp_event", None)
    mail = esp_event.get("mail") if isinstance(esp_event, dict) else None
    if isinstance(mail, dict):
        found.extend(
            str(header.get("value", ""))
            for header in mail.get("headers") or []
            if isinstance(header, dict) and str(header.get("name", "")).lower() == "message-id"
        )
        common = mail.get("commonHeaders") or {}
        if isinstance(common, dict) and common.get("messageId"):
            found.append(str(common["messageId"]))
    if event.message_id:
        found.append(str(event.message_id))
    return [value.strip() for value in found if value and value.strip()]


def _our_reply(workspace: Any, event: Any) -> Message | None:
    for candidate in _candidate_ids(event):
        for value in dict.fromkeys((candidate, f"<{candidate.strip('<>')}>")):
            reply = (
                Message.objects.for_workspace(workspace)
                .filter(provider_message_id=value, kind=MessageKind.REPLY)
                .select_related("conversation__contact")
                .first()
            )
            if reply is not None:
                return reply
    return None


def _outreach_event(workspace: Any, event: Any, provider: str) -> bool:
    """A hard bounce or a spam report about an outreach message (a campaign or notice
    delivery, not an inbox reply): the address is suppressed for outreach. Returns
    whether the event named an outreach delivery."""
    kind = event.event_type
    if kind not in ("bounced", "complained"):
        return False
    if kind == "bounced" and _is_soft_bounce(event, provider):
        return False
    return any(
        record_provider_event(
            workspace.pk,
            message_id=candidate,
            address=str(event.recipient or ""),
            complaint=kind == "complained",
            detail=str(event.mta_response or event.description or kind)[:500],
        )
        for candidate in _candidate_ids(event)
    )


@csrf_exempt
@require_POST
def tracking(request: HttpRequest, key: str, provider: str) -> HttpResponse:
    config = _config(key, provider)
    checked, refusal = _checked_events(request, config, "tracking", provider)
    if checked is None:
        return refusal or HttpResponse(status=400)
    with transaction.atomic():
        if not _first_delivery(config, checked.sns_message):
            return HttpResponse(REPLAYED, status=409)
        _track(config, checked.events, provider)
    return HttpResponse("ok")


def _track(config: EmailChannelConfig, events: list[Any], provider: str) -> None:
    workspace = config.channel.workspace
    for event in events:
        kind = event.event_type
        if _outreach_event(workspace, event, provider):
            continue
        reply = _our_reply(workspace, event)
        if reply is None or not reply.provider_message_id:
            continue  # not one of ours (another sender on the same provider account)
        message_id = reply.provider_message_id
        if kind == "delivered":
            record_delivery_status(workspace, provider_message_id=message_id, status="delivered")
        elif kind in TRACKING_FAILED:
            if kind == "bounced" and _is_soft_bounce(event, provider):
                logger.info("email soft bounce", extra={"reply": reply.pk, "provider": provider})
                continue
            reason = event.mta_response or event.description or f"The provider reports: {kind}"
            record_delivery_status(
                workspace,
                provider_message_id=message_id,
                status="failed",
                error_code=kind,
                error_message=f"{kind.capitalize()}: {reason}",
            )
            if event.recipient and kind == "bounced":
                UndeliverableAddress.objects.update_or_create(
                    workspace=workspace,
                    address=str(event.recipient).strip().lower()[:320],
                    defaults={"reason": str(reason)[:500], "bounced_at": timezone.now()},
                )
        elif kind == "complained":
            # Email consent (what outreach sends by); replies to their own mail stay possible.
            set_consent(
                reply.conversation.contact,
                topic=ConsentTopic.EMAIL,
                status=ConsentStatus.REVOKED,
                source="Email marked as spam (provider complaint)",
                by=None,  # the system, on the provider's word
            )
