"""Twilio Programmable Messaging, through the `twilio` package.

Docs: https://www.twilio.com/docs/messaging/guides/webhook-request (inbound
parameters), https://www.twilio.com/docs/usage/webhooks/webhooks-security (signatures),
https://www.twilio.com/docs/messaging/api/message-resource (sending, listing, statuses),
https://www.twilio.com/docs/messaging/api/media-resource (media downloads).

Wire-format facts relied on:
- Webhooks are form-encoded POSTs. `X-Twilio-Signature` is base64(HMAC-SHA1(auth token,
  URL + every POST parameter name and value, sorted by name)), over the exact URL Twilio
  called, query string included; Twilio sometimes signs it with the default port
  (":443") spelled out, which `RequestValidator.validate` tries both ways.
- Inbound: MessageSid, AccountSid, From, To, Body, NumMedia, MediaUrlN and
  MediaContentTypeN for N < NumMedia; MessagingServiceSid when the number is in a
  Messaging Service pool (then `To` is whichever pool number the customer texted).
- Status callbacks: MessageSid, MessageStatus (queued, sending, sent, delivered,
  undelivered, failed ...), ErrorCode on failures.
- REST: POST /2010-04-01/Accounts/{sid}/Messages.json (To, Body, From or
  MessagingServiceSid, StatusCallback) answers 201 with the Message resource; errors
  are JSON {code, message, more_info, status}. A body holds at most 1,600 characters;
  Twilio splits it into carrier segments itself below that.
- Media URLs need HTTP basic auth (account SID, auth token) and answer with a redirect
  to a pre-signed CDN URL, which must be fetched without our credentials.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urljoin, urlsplit, urlunsplit

import httpx
import requests
from django.conf import settings
from django.utils import timezone
from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from frontdesk.connectors import http
from frontdesk.connectors.base import (
    ConnectorError,
    DeliveryResult,
    DeliveryState,
    DeliveryStatus,
    InboundAttachment,
    InboundEvent,
    InboundRequest,
)
from frontdesk.connectors.sms.providers.base import SmsAccount, SmsProvider, sender_kind

logger = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
API_VERSION = "2010-04-01"
SIGNATURE_HEADER = "X-Twilio-Signature"
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# Twilio accepts up to 10 media per message.
MAX_NUM_MEDIA = 10
MAX_MEDIA_REDIRECTS = 3
DEFAULT_API_TIMEOUT_SECONDS = 10.0
DEFAULT_MEDIA_MAX_BYTES = 5 * 1024 * 1024

# What staff read for the error codes they will meet; others read "Twilio error NNNNN".
# https://www.twilio.com/docs/api/errors
ERROR_MESSAGES = {
    "20003": "Twilio refused the Account SID or Auth Token: check the channel's settings.",
    "21211": "This is not a valid phone number.",
    "21408": "The Twilio account may not send texts to this country.",
    "21606": "The channel's number cannot send texts: check it in Twilio.",
    "21610": "The recipient has opted out of texts from this number (they replied STOP); "
    "they must text START to receive texts again.",
    "21612": "Twilio cannot send texts between these two numbers.",
    "21614": "This number cannot receive texts (not a mobile number).",
    "21617": "The text is longer than Twilio's 1,600 characters.",
    "30003": "The phone could not be reached (switched off or out of coverage).",
    "30004": "The recipient or their carrier blocked the text.",
    "30005": "Unknown number: it does not exist or is no longer in service.",
    "30006": "The number is a landline or cannot receive texts.",
    "30007": "The carrier filtered the text (flagged as spam).",
    "30008": "The carrier reported an unknown error.",
    "30034": "The sending number is not registered for US A2P 10DLC messaging.",
}

# Twilio's own statuses -> ours. "accepted"/"scheduled" come from Messaging Services.
_SEND_STATES: dict[str, DeliveryState] = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
}
_CALLBACK_STATES: dict[str, Literal["sent", "delivered", "failed"]] = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
}

# MMS media staff may open: pictures, PDFs, contact cards, common audio and video.
ALLOWED_MEDIA_TYPES = frozenset(
    {
        "image/jpeg",
        "image/jpg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "image/heif",
        "application/pdf",
        "text/vcard",
        "text/x-vcard",
        "text/directory",
        "audio/mpeg",
        "audio/mp3",
        "audio/mp4",
        "audio/aac",
        "audio/amr",
        "audio/ogg",
        "audio/wav",
        "audio/x-wav",
        "audio/3gpp",
        "video/mp4",
        "video/3gpp",
        "video/quicktime",
        "video/mpeg",
        "video/webm",
    }
)
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "text/vcard": ".vcf",
    "text/x-vcard": ".vcf",
    "text/directory": ".vcf",
    "audio/amr": ".amr",
    "audio/mp3": ".mp3",
    "audio/3gpp": ".3gp",
    "video/3gpp": ".3gp",
}


def error_message(code: str | int | None) -> str:
    """What staff read for a Twilio error code."""
    if code in (None, ""):
        return "Twilio could not deliver the text."
    return ERROR_MESSAGES.get(str(code), f"Twilio error {code}")


class _Params(dict[str, list[str]]):
    """Form parameters with every value of a repeated key, as the validator reads them."""

    def getlist(self, name: str) -> list[str]:
        return self[name]

    def first(self, name: str) -> str:
        values = self.get(name) or [""]
        return values[0]


def _params(request: InboundRequest) -> _Params:
    """The POST parameters Twilio signed, repeated keys kept: the pairs the caller
    parsed from the body, else the raw body, else the caller's form."""
    params = _Params()
    if request.pairs:
        for key, value in request.pairs:
            params.setdefault(key, []).append(value)
        return params
    if request.body:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed("The request body is not UTF-8.") from None
        for key, value in parse_qsl(text, keep_blank_values=True):
            params.setdefault(key, []).append(value)
        return params
    getlist = getattr(request.form, "getlist", None)
    for key in request.form:
        params[key] = list(getlist(key)) if getlist else [request.form[key]]
    return params


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)  # Django's request.headers ignores case itself
    if value is not None:
        return value
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def _malformed(message: str) -> ConnectorError:
    return ConnectorError(message, permanent=True, code="malformed")


def _forged(message: str) -> ConnectorError:
    return ConnectorError(message, permanent=True, code="bad_signature")


class TwilioProvider(SmsProvider):
    name = "twilio"
    label = "Twilio"

    # --- webhooks ---------------------------------------------------------------------

    def verify_request(self, account: SmsAccount, request: InboundRequest) -> None:
        signature = _header(request.headers, SIGNATURE_HEADER).strip()
        if not signature:
            raise _forged("The request carries no X-Twilio-Signature.")
        if not account.auth_token:
            raise _forged("This channel has no Twilio auth token to check signatures with.")
        validator = RequestValidator(account.auth_token)
        params: _Params | str
        if "bodySHA256" in parse_qs(urlsplit(request.url).query):
            # JSON bodies are signed as URL + a hash of the body the URL carries.
            params = request.body.decode("utf-8", "replace")
        elif request.method.upper() == "GET":
            params = _Params()  # a GET webhook's parameters are in the signed URL
        else:
            params = _params(request)
        if not validator.validate(request.url, params, signature):
            raise _forged("The X-Twilio-Signature does not match this channel's auth token.")

    def parse_inbound(self, account: SmsAccount, request: InboundRequest) -> InboundEvent:
        params = self._checked_params(account, request)
        message_sid = params.first("MessageSid") or params.first("SmsMessageSid")
        sender = params.first("From").strip()
        if not message_sid:
            raise _malformed("The request has no MessageSid.")
        if not sender:
            raise _malformed("The request has no From number.")
        try:
            num_media = int(params.first("NumMedia") or 0)
        except ValueError:
            raise _malformed("NumMedia is not a number.") from None
        if not 0 <= num_media <= MAX_NUM_MEDIA:
            raise _malformed(f"NumMedia must be 0 to {MAX_NUM_MEDIA}.")
        attachments = []
        for index in range(num_media):
            url = params.first(f"MediaUrl{index}").strip()
            if not url:
                raise _malformed(f"NumMedia is {num_media} but MediaUrl{index} is missing.")
            content_type = params.first(f"MediaContentType{index}").strip().lower()
            attachments.append(
                InboundAttachment(
                    filename=_media_filename(url, content_type, index),
                    content_type=content_type or "application/octet-stream",
                    size=0,
                    url=url,
                )
            )
        return InboundEvent(
            channel_kind="sms",
            provider_message_id=message_sid,
            # A short code or sender ID (a bank, a delivery service) is not a phone.
            sender_kind=sender_kind(sender),
            sender_address=sender,
            received_at=timezone.now(),
            body=params.first("Body"),
            attachments=tuple(attachments),
            raw={key: values[0] if len(values) == 1 else values for key, values in params.items()},
        )

    def parse_status(self, account: SmsAccount, request: InboundRequest) -> DeliveryStatus:
        params = self._checked_params(account, request)
        message_sid = params.first("MessageSid") or params.first("SmsSid")
        twilio_status = (params.first("MessageStatus") or params.first("SmsStatus")).lower()
        if not message_sid:
            raise _malformed("The status callback has no MessageSid.")
        status = _CALLBACK_STATES.get(twilio_status)
        if status is None:
            raise _malformed(f"Unknown message status {twilio_status!r}.")
        if status != "failed":
            return DeliveryStatus(provider_message_id=message_sid, status=status)
        code = params.first("ErrorCode").strip() or None
        message = error_message(code)
        if twilio_status == "canceled":
            message = "The text was canceled before it went out."
        return DeliveryStatus(
            provider_message_id=message_sid, status="failed", error_code=code, error_message=message
        )

    def _checked_params(self, account: SmsAccount, request: InboundRequest) -> _Params:
        params = _params(request)
        if request.method.upper() == "GET":
            params = _Params(parse_qs(urlsplit(request.url).query, keep_blank_values=True))
        account_sid = params.first("AccountSid")
        if account_sid and account_sid != account.account_sid:
            raise _malformed("The request is for another Twilio account.")
        return params

    def empty_response(self) -> tuple[str, bytes]:
        return "text/xml", EMPTY_TWIML

    # --- REST API ---------------------------------------------------------------------

    @contextmanager
    def _client(self, account: SmsAccount) -> Iterator[Client]:
        timeout = float(getattr(settings, "SMS_API_TIMEOUT_SECONDS", DEFAULT_API_TIMEOUT_SECONDS))
        http_client = TwilioHttpClient(timeout=timeout)
        client = Client(
            account.account_sid,
            account.auth_token,
            http_client=http_client,
            user_agent_extensions=[http.USER_AGENT],
        )
        # The Messages resource lives on the "api" domain; this is how tests and the
        # demo aim the SDK at a loopback stand-in (CONNECTOR_BASE_URLS["twilio"]).
        client.api.base_url = http.base_url_for("twilio", TWILIO_API)
        try:
            yield client
        finally:
            if http_client.session is not None:
                http_client.session.close()

    def send(
        self,
        account: SmsAccount,
        *,
        to: str,
        body: str,
        status_callback: str | None,
        media_urls: tuple[str, ...] = (),
    ) -> DeliveryResult:
        options: dict[str, Any] = {"to": to, "body": body}
        if media_urls:
            options["media_url"] = list(media_urls)  # MediaUrl, repeated: an MMS
        if account.messaging_service_sid:
            options["messaging_service_sid"] = account.messaging_service_sid
        else:
            options["from_"] = account.phone_number
        if status_callback:
            options["status_callback"] = status_callback
        with self._client(account) as client:
            try:
                message = client.messages.create(**options)
            except Exception as exc:
                raise _api_error(exc, "send the text") from exc
        twilio_status = (message.status or "queued").lower()
        if twilio_status in ("failed", "undelivered"):
            code = str(message.error_code) if message.error_code else None
            raise ConnectorError(error_message(code), permanent=True, code=code)
        return DeliveryResult(
            provider_message_id=message.sid or "",
            status=_SEND_STATES.get(twilio_status, "queued"),
        )

    def find_sent(
        self, account: SmsAccount, *, to: str, body: str, since: datetime
    ) -> DeliveryResult | None:
        # Twilio filters on whole seconds in UTC ("DateSent>=2026-01-31T09:00:00Z").
        since_utc = since.astimezone(UTC).replace(microsecond=0)
        with self._client(account) as client:
            try:
                found = self._match(
                    client.messages.list(to=to, date_sent_after=since_utc, limit=200),
                    account,
                    body,
                    since_utc,
                )
                if found is None:
                    # A message Twilio still holds (queued, accepted) has no DateSent yet,
                    # so that filter misses it: look at the newest page too.
                    found = self._match(
                        client.messages.list(to=to, limit=50), account, body, since_utc
                    )
            except Exception as exc:
                raise _api_error(exc, "look up sent texts") from exc
        if found is None:
            return None
        return DeliveryResult(
            provider_message_id=found.sid or "",
            status=_SEND_STATES.get((found.status or "").lower(), "sent"),
            detail="found at Twilio",
        )

    @staticmethod
    def _match(messages: list[Any], account: SmsAccount, body: str, since: datetime) -> Any:
        for message in messages:
            if not (message.direction or "").startswith("outbound"):
                continue
            if (message.status or "").lower() in ("failed", "undelivered", "canceled"):
                continue
            if message.body != body:
                continue
            if message.date_created is not None and message.date_created < since:
                continue
            ours = (
                message.messaging_service_sid == account.messaging_service_sid
                if account.messaging_service_sid
                else message.from_ == account.phone_number
            )
            if ours:
                return message
        return None

    # --- media ------------------------------------------------------------------------

    def fetch_media(self, account: SmsAccount, url: str) -> InboundAttachment:
        api_base = http.base_url_for("twilio", TWILIO_API)
        # What is compared is what is fetched: the URL with its dot segments resolved,
        # so ".../Accounts/AC1/../../evil" cannot pass as one of the account's resources.
        normalised = _normalised(url)
        media_root = f"{API_VERSION}/Accounts/{account.account_sid}"
        if normalised is None or not any(
            _is_under(normalised, f"{base}/{media_root}") for base in (api_base, TWILIO_API)
        ):
            raise ConnectorError(
                "The media URL is not on Twilio's API, so it was not fetched.",
                permanent=True,
                code="media_refused",
            )
        limit = int(getattr(settings, "SMS_MEDIA_MAX_BYTES", DEFAULT_MEDIA_MAX_BYTES))
        timeout = float(getattr(settings, "SMS_API_TIMEOUT_SECONDS", DEFAULT_API_TIMEOUT_SECONDS))
        current = url = normalised
        with http.client("twilio", base_url=TWILIO_API, timeout=timeout) as client:
            for _ in range(MAX_MEDIA_REDIRECTS + 1):
                # Our credentials go only to Twilio's API, never to the CDN it redirects to.
                auth = (
                    (account.account_sid, account.auth_token)
                    if _is_api(current, api_base)
                    else None
                )
                try:
                    with client.stream("GET", current, auth=auth) as response:
                        if response.is_redirect:
                            current = _redirect_target(current, response, api_base)
                            continue
                        return _read_media(url, response, limit)
                except httpx.TimeoutException as exc:
                    raise ConnectorError(
                        "Twilio did not send the media in time; will try again.",
                        permanent=False,
                        code="timeout",
                    ) from exc
                except httpx.HTTPError as exc:
                    raise ConnectorError(
                        f"The media could not be downloaded: {exc}", permanent=False, code="network"
                    ) from exc
        raise ConnectorError(
            "Twilio redirected the media download too many times.",
            permanent=True,
            code="media_refused",
        )


def _normalised(url: str) -> str | None:
    """`url` with "." and ".." path segments resolved (percent-encoded ones too), or
    None when it cannot be read safely (a ".." above the root, a backslash, a NUL)."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if "\\" in path or "\x00" in path:
        return None
    segments: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if not segments:
                return None
            segments.pop()
        elif segment != ".":
            segments.append(segment)
    return urlunsplit(parts._replace(path="/" + "/".join(quote(s) for s in segments)))


def _is_under(url: str, base: str) -> bool:
    target, root = urlsplit(url), urlsplit(base)
    return (
        target.scheme == root.scheme
        and target.netloc.lower() == root.netloc.lower()
        and target.path.startswith(root.path.rstrip("/") + "/")
    )


def _is_api(url: str, api_base: str) -> bool:
    """Whether `url` is a resource of Twilio's REST API (configured or real)."""
    return any(_is_under(url, f"{base}/{API_VERSION}") for base in (api_base, TWILIO_API))


def _redirect_target(current: str, response: httpx.Response, api_base: str) -> str:
    location = response.headers.get("location", "")
    target: str = urljoin(current, location)
    # Real Twilio sends media to its CDN over https; the stand-in keeps it on its own base.
    if not location or not (_is_under(target, api_base) or urlsplit(target).scheme == "https"):
        raise ConnectorError(
            "Twilio redirected the media download somewhere unsafe, so it was not fetched.",
            permanent=True,
            code="media_refused",
        )
    return target


def _read_media(url: str, response: httpx.Response, limit: int) -> InboundAttachment:
    status = response.status_code
    if status in (401, 403):
        raise ConnectorError(
            "Twilio refused the media download: check the channel's Account SID and Auth Token.",
            permanent=True,
            code="media_auth",
        )
    if status in (404, 410):
        raise ConnectorError(
            "The media no longer exists at Twilio.", permanent=True, code="media_missing"
        )
    if status == 429 or status >= 500:
        raise ConnectorError(
            f"Twilio could not send the media (HTTP {status}); will try again.",
            permanent=False,
            code=str(status),
        )
    if status != 200:
        raise ConnectorError(
            f"Twilio answered HTTP {status} for the media.", permanent=True, code=str(status)
        )
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ALLOWED_MEDIA_TYPES:
        raise ConnectorError(
            f"Media of type “{content_type or 'unknown'}” is not accepted "
            "(pictures, PDFs, contact cards, audio and video are).",
            permanent=True,
            code="media_type",
        )
    too_big = ConnectorError(
        f"The media is larger than the {limit / 1024 / 1024:g} MB limit.",
        permanent=True,
        code="media_too_large",
    )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise too_big  # stop reading: the rest never reaches memory
        chunks.append(chunk)
    data = b"".join(chunks)
    return InboundAttachment(
        filename=_media_filename(url, content_type, 0),
        content_type=content_type,
        size=len(data),
        data=data,
        url=url,
    )


def _media_filename(url: str, content_type: str, index: int) -> str:
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or f"media-{index}"
    extension = _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ""
    return name if "." in name else f"{name}{extension}"


def _api_error(exc: Exception, action: str) -> ConnectorError:
    """A Twilio SDK or network failure as a ConnectorError staff can read."""
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        status = int(exc.status or 0)
        code = str(exc.code) if exc.code else str(status)
        if status == 429:
            return ConnectorError(
                "Twilio is rate-limiting this account; will try again.", permanent=False, code=code
            )
        if status >= 500 or status == 0:
            return ConnectorError(
                f"Twilio had a problem (HTTP {status}); will try again.", permanent=False, code=code
            )
        if code in ERROR_MESSAGES:
            return ConnectorError(ERROR_MESSAGES[code], permanent=True, code=code)
        detail = _twilio_detail(exc)
        return ConnectorError(
            f"Twilio refused to {action}: {detail} (error {code}).", permanent=True, code=code
        )
    if isinstance(exc, TwilioException):
        # Listing pages raises a bare TwilioException("Unable to fetch page", response).
        status = next((arg.status_code for arg in exc.args if hasattr(arg, "status_code")), 0)
        if status in (401, 403):
            return ConnectorError(ERROR_MESSAGES["20003"], permanent=True, code="20003")
        return ConnectorError(
            f"Twilio could not {action} (HTTP {status or '?'}); will try again.",
            permanent=False,
            code=str(status or "twilio"),
        )
    if isinstance(exc, requests.exceptions.ReadTimeout):
        # Twilio may have taken the message before going quiet: the adapter checks.
        return ConnectorError(
            "Twilio did not answer in time; will try again.", permanent=False, code="timeout"
        )
    if isinstance(exc, requests.exceptions.RequestException):
        return ConnectorError(
            f"Twilio could not be reached: {type(exc).__name__}; will try again.",
            permanent=False,
            code="network",
        )
    if isinstance(exc, ValueError):
        # The SDK could not read Twilio's answer (not JSON): a proxy or outage page.
        return ConnectorError(
            "Twilio's answer could not be read; will try again.", permanent=False, code="bad_answer"
        )
    raise exc


def _twilio_detail(exc: TwilioRestException | TwilioServiceException) -> str:
    if isinstance(exc, TwilioServiceException):
        return exc.detail or exc.title or "refused"
    # The SDK prefixes Twilio's message with its own "Unable to create record: ".
    text = str(exc.msg or "refused")
    head, sep, tail = text.partition(": ")
    return tail if sep and head.startswith("Unable to") else text
