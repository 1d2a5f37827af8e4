"""A stand-in of the parts of Twilio's REST API Frontdesk uses, as plain Python.

No server and no Django here: `TwilioStandIn.handle(method, path, query, headers, body)`
answers one HTTP request in Twilio's wire format, and whoever hosts it (the threaded
loopback server in `frontdesk/demo/twilio/server.py` for tests, a Django view in the
demo) only moves bytes. It records what was sent, so tests assert on what Twilio
would have received.

Wire format (https://www.twilio.com/docs/messaging/api/message-resource):
- POST /2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded To, Body, From
  or MessagingServiceSid, StatusCallback -> 201 with the Message resource as JSON
  (sid "SM" + 32 hex, status "queued", or "accepted" through a Messaging Service,
  dates in RFC 2822, error_code null).
- GET Messages.json?To=...&DateSent>=... -> a page {messages, page, page_size,
  next_page_uri, ...}, newest first.
- Media: GET .../Messages/{sid}/Media/{sid} with HTTP basic auth answers a 307 to a
  pre-signed CDN URL (here /cdn/<token> on the same server) that needs no auth.
- Errors are JSON {code, message, more_info, status}: 401/20003 for bad credentials,
  400/21211 for an invalid To, 400/21610 for a recipient who replied STOP.
- Webhooks Twilio sends (inbound texts, status callbacks) are form-encoded and signed
  with X-Twilio-Signature, computed here with the twilio package's RequestValidator.
"""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from urllib.parse import parse_qsl, urlencode

import httpx
from twilio.request_validator import RequestValidator

API_VERSION = "2010-04-01"
MAX_BODY = 1600
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
# The GSM 03.38 basic character set: texts made only of these go as 7-bit segments.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)
ERROR_TEXT = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    20503: "Service is unavailable. Please try again",
    21211: "Invalid 'To' Phone Number",
    21602: "Message body is required.",
    21603: "The 'From' phone number is required.",
    21604: "The 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21617: "The concatenated message body exceeds the 1600 character limit.",
}
_DEFAULT_CODES = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 502: 20500, 503: 20503}

Response = tuple[int, dict[str, str], bytes]


def new_sid(prefix: str) -> str:
    """A Twilio-style id: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def rfc2822(moment: datetime | None) -> str | None:
    return format_datetime(moment.astimezone(UTC), usegmt=True) if moment else None


def segments(body: str) -> int:
    """How many carrier segments a body takes (GSM-7: 160/153, else UCS-2: 70/67)."""
    if all(char in GSM7 for char in body):
        single, multi, length = 160, 153, len(body)
    else:
        single, multi, length = 70, 67, len(body.encode("utf-16-le")) // 2
    return 1 if length <= single else math.ceil(length / multi)


def sign(url: str, form: Mapping[str, str], token: str) -> str:
    """The X-Twilio-Signature Twilio would send for a POST of `form` to `url`."""
    return RequestValidator(token).compute_signature(url, dict(form))


def post_signed(
    url: str,
    form: Mapping[str, str],
    token: str,
    *,
    signed_url: str | None = None,
    timeout: float = 10.0,
) -> httpx.Response:
    """POST `form` to `url` as Twilio does: form-encoded, with X-Twilio-Signature.

    `signed_url` is the URL Twilio believes it called (the public URL behind a proxy)
    when that differs from the address actually posted to.
    """
    signature = sign(signed_url or url, form, token)
    return httpx.post(
        url,
        data=dict(form),
        headers={"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"},
        timeout=timeout,
    )


@dataclass
class StandInMessage:
    """One Message resource the stand-in holds (sent through the API, or inbound)."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    status: str
    direction: str = "outbound-api"
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    date_created: datetime = field(default_factory=lambda: datetime.now(UTC))
    date_sent: datetime | None = None
    date_updated: datetime | None = None
    error_code: int | None = None
    error_message: str | None = None
    num_media: int = 0
    form: dict[str, list[str]] = field(default_factory=dict)

    def resource(self) -> dict[str, object]:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.date_created),
            "date_sent": rfc2822(self.date_sent),
            "date_updated": rfc2822(self.date_updated or self.date_created),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            # Twilio reports 0 until a pool number is picked for Messaging Service sends.
            "num_media": str(self.num_media),
            "num_segments": "0" if self.from_ is None else str(segments(self.body)),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
            "to": self.to,
            "uri": f"{uri}.json",
        }


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    form: dict[str, list[str]]


@dataclass
class _Injection:
    on: str
    times: int
    status: int = 503
    code: int | None = None
    message: str | None = None
    stall: float = 0.0
    record: bool = False
    after: int = 0


@dataclass
class _Media:
    account_sid: str
    content_type: str
    data: bytes
    redirect: bool
    chunked: bool


class TwilioStandIn:
    """Twilio's Messages and Media resources for a few accounts, in memory.

    Thread-safe: the loopback server calls `handle` from several threads.
    """

    def __init__(
        self, accounts: Mapping[str, str] | None = None, *, base_url: str = "http://twilio.invalid"
    ) -> None:
        self.accounts: dict[str, str] = dict(accounts or {})
        self.base_url = base_url.rstrip("/")
        self.messages: list[StandInMessage] = []  # sent through the API, oldest first
        self.received: list[StandInMessage] = []  # inbound texts made by inbound_message
        self.requests: list[RecordedRequest] = []
        self.messaging_services: dict[str, list[str]] = {}
        self.unsubscribed: set[str] = set()
        self.refused: dict[str, tuple[int, str]] = {}
        # Messages go to the carrier at once (status "sent", DateSent set) after the
        # create call answered "queued", as they do within a second at Twilio.
        self.send_immediately = True
        self._media: dict[str, _Media] = {}
        self._cdn: dict[str, str] = {}
        self._injections: list[_Injection] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()

    # --- set-up -----------------------------------------------------------------------

    def add_account(self, sid: str | None = None, token: str | None = None) -> tuple[str, str]:
        """Create (or overwrite) an account; returns (account sid, auth token)."""
        sid = sid or new_sid("AC")
        token = token or secrets.token_hex(16)
        self.accounts[sid] = token
        return sid, token

    def add_messaging_service(self, numbers: Iterable[str], sid: str | None = None) -> str:
        """A Messaging Service whose pool sends from `numbers`; returns its MG sid."""
        sid = sid or new_sid("MG")
        self.messaging_services[sid] = list(numbers)
        return sid

    def unsubscribe(self, number: str) -> None:
        """The recipient replied STOP at the carrier: sends to them fail with 21610."""
        self.unsubscribed.add(number)

    def resubscribe(self, number: str) -> None:
        self.unsubscribed.discard(number)

    def refuse(self, number: str, *, code: int = 21614, message: str = "") -> None:
        """Sends to `number` fail with 400 and this Twilio error code."""
        self.refused[number] = (code, message or f"'To' number {number} is not a mobile number")

    def add_media(
        self,
        account_sid: str,
        content_type: str,
        data: bytes,
        *,
        message_sid: str | None = None,
        redirect: bool = True,
        chunked: bool = False,
    ) -> str:
        """Store a media blob; returns its MediaUrl (behind basic auth). With `redirect`
        it answers with a 307 to an unauthenticated CDN URL, as Twilio does; `chunked`
        sends it without a Content-Length."""
        message_sid = message_sid or new_sid("MM")
        path = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{message_sid}/Media/{new_sid('ME')}"
        with self._lock:
            self._media[path] = _Media(account_sid, content_type, data, redirect, chunked)
        return self.base_url + path

    def fail_next(
        self,
        status: int = 503,
        code: int | None = None,
        message: str | None = None,
        *,
        times: int = 1,
        on: str = "send",
        after: int = 0,
    ) -> None:
        """The next `times` requests of kind `on` ("send", "list", "media" or "any")
        answer `status` with Twilio's error JSON (`code` defaults from the status),
        once `after` such requests went through normally (e.g. part 2 of a reply)."""
        with self._lock:
            self._injections.append(_Injection(on, times, status, code, message, after=after))

    def stall_next(
        self, seconds: float, *, times: int = 1, on: str = "send", record: bool = False
    ) -> None:
        """The next `times` requests of kind `on` answer only after `seconds`. With
        `record` the request takes effect first (Twilio took the message but the answer
        came too late); without, it has no effect (answered with a 504 at the end)."""
        with self._lock:
            self._injections.append(_Injection(on, times, stall=seconds, record=record))

    def wake(self) -> None:
        """End every stall now (call when a test finishes)."""
        self._wake.set()

    # --- what Twilio sends to the application -------------------------------------------

    def inbound_message(
        self,
        account_sid: str,
        *,
        from_: str,
        to: str,
        body: str = "",
        media: Iterable[tuple[str, bytes]] = (),
        messaging_service_sid: str | None = None,
    ) -> dict[str, str]:
        """The form of Twilio's inbound-message webhook for a text from `from_` to `to`.

        `media` are (content type, bytes) pairs, stored here and named by MediaUrlN.
        """
        media = list(media)
        sid = new_sid("MM" if media else "SM")
        form = {
            "ToCountry": "US",
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": str(len(media)),
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": body,
            "FromCountry": "US",
            "To": to,
            "ToZip": "",
            "NumSegments": str(segments(body)) if body else "1",
            "MessageSid": sid,
            "AccountSid": account_sid,
            "From": from_,
            "ApiVersion": API_VERSION,
        }
        if messaging_service_sid:
            form["MessagingServiceSid"] = messaging_service_sid
        for index, (content_type, data) in enumerate(media):
            form[f"MediaContentType{index}"] = content_type
            form[f"MediaUrl{index}"] = self.add_media(
                account_sid, content_type, data, message_sid=sid
            )
        with self._lock:
            self.received.append(
                StandInMessage(
                    sid=sid,
                    account_sid=account_sid,
                    to=to,
                    from_=from_,
                    body=body,
                    status="received",
                    direction="inbound",
                    messaging_service_sid=messaging_service_sid,
                    num_media=len(media),
                )
            )
        return form

    def status_callback(
        self, message_sid: str, status: str, error_code: int | str | None = None
    ) -> tuple[str, dict[str, str]]:
        """Move a sent message to `status` and return (StatusCallback URL, form) of the
        callback Twilio would POST about it. Raises LookupError for an unknown sid or a
        message sent without a StatusCallback."""
        message = self.message(message_sid)
        if not message.status_callback:
            raise LookupError(f"{message_sid} was sent without a StatusCallback")
        with self._lock:
            message.status = status
            message.date_updated = datetime.now(UTC)
            if status in ("sent", "delivered", "undelivered") and message.date_sent is None:
                message.date_sent = message.date_updated
            if message.from_ is None and message.messaging_service_sid:
                pool = self.messaging_services.get(message.messaging_service_sid)
                message.from_ = pool[0] if pool else None
            if error_code:
                message.error_code = int(error_code)
        form = {
            "SmsSid": message.sid,
            "SmsStatus": status,
            "MessageStatus": status,
            "To": message.to,
            "MessageSid": message.sid,
            "AccountSid": message.account_sid,
            "From": message.from_ or "",
            "ApiVersion": API_VERSION,
        }
        if message.messaging_service_sid:
            form["MessagingServiceSid"] = message.messaging_service_sid
        if error_code:
            form["ErrorCode"] = str(error_code)
        return message.status_callback, form

    def deliver_status_callback(
        self,
        message_sid: str,
        status: str,
        error_code: int | str | None = None,
        *,
        post_to: str | None = None,
    ) -> httpx.Response:
        """Send the status callback for a message, signed with its account's token.

        `post_to` is where to POST when the StatusCallback URL (the public URL Twilio
        signs) is not reachable from here, e.g. a test server's loopback address.
        """
        url, form = self.status_callback(message_sid, status, error_code)
        token = self.accounts[self.message(message_sid).account_sid]
        return post_signed(post_to or url, form, token, signed_url=url)

    def message(self, sid: str) -> StandInMessage:
        with self._lock:
            for message in self.messages:
                if message.sid == sid:
                    return message
        raise LookupError(f"no message {sid}")

    def sent_to(self, number: str) -> list[StandInMessage]:
        """Messages sent through the API to `number`, oldest first."""
        with self._lock:
            return [message for message in self.messages if message.to == number]

    # --- the HTTP API -----------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: str | Mapping[str, str | list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        """Answer one request: (status, headers, body), in Twilio's wire format."""
        method = method.upper()
        path = path.split("?", 1)[0]
        lowered = {key.lower(): value for key, value in headers.items()}
        params = _query(query)
        form: dict[str, list[str]] = {}
        if method == "POST" and body:
            for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                form.setdefault(key, []).append(value)
        with self._lock:
            self.requests.append(RecordedRequest(method, path, params, lowered, form))
        kind = _kind(method, path)
        injection = self._take_injection(kind)
        if injection is not None and injection.stall:
            if injection.record:
                response = self._route(method, path, params, lowered, form)
                self._wake.wait(injection.stall)
                return response
            self._wake.wait(injection.stall)
            return _error(504, 20504, "Gateway timeout")
        if injection is not None:
            code = injection.code or _DEFAULT_CODES.get(injection.status, injection.status)
            return _error(injection.status, code, injection.message)
        return self._route(method, path, params, lowered, form)

    def _take_injection(self, kind: str) -> _Injection | None:
        with self._lock:
            for injection in self._injections:
                if injection.on in (kind, "any"):
                    if injection.after > 0:
                        injection.after -= 1
                        return None
                    injection.times -= 1
                    if injection.times <= 0:
                        self._injections.remove(injection)
                    return injection
        return None

    def _route(
        self,
        method: str,
        path: str,
        params: dict[str, list[str]],
        headers: dict[str, str],
        form: dict[str, list[str]],
    ) -> Response:
        if path.startswith("/cdn/") and method == "GET":
            return self._cdn_media(path)
        match = re.fullmatch(
            rf"/{API_VERSION}/Accounts/(?P<account>[^/]+)"
            r"(?P<rest>/Messages\.json|/Messages/[^/]+\.json|/Messages/[^/]+/Media/[^/.]+)",
            path,
        )
        if not match:
            return _error(404, 20404)
        account = match["account"]
        if not self._authorised(account, headers.get("authorization", "")):
            return _error(401, 20003)
        rest = match["rest"]
        if rest == "/Messages.json" and method == "POST":
            return self._create(account, form)
        if rest == "/Messages.json" and method == "GET":
            return self._list(account, path, params)
        if rest.endswith(".json") and method == "GET":
            sid = rest.removeprefix("/Messages/").removesuffix(".json")
            try:
                message = self.message(sid)
            except LookupError:
                return _error(404, 20404)
            if message.account_sid != account:
                return _error(404, 20404)
            return _json(200, message.resource())
        if "/Media/" in rest and method == "GET":
            return self._media_response(path)
        return _error(405, 20004, "Method not allowed")

    def _authorised(self, account: str, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        token = self.accounts.get(user)
        return user == account and token is not None and secrets.compare_digest(token, password)

    def _create(self, account: str, form: dict[str, list[str]]) -> Response:
        def value(name: str) -> str:
            return (form.get(name) or [""])[0]

        to, body = value("To").strip(), value("Body")
        sender, service = value("From").strip(), value("MessagingServiceSid").strip()
        if not to:
            return _error(400, 21604)
        if not sender and not service:
            return _error(400, 21603)
        if not body and not form.get("MediaUrl"):
            return _error(400, 21602)
        if len(body.encode("utf-16-le")) // 2 > MAX_BODY:
            return _error(400, 21617)
        if not E164.match(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to in self.unsubscribed:
            return _error(400, 21610)
        if to in self.refused:
            code, text = self.refused[to]
            return _error(400, code, text)
        if service and service not in self.messaging_services:
            return _error(400, 21701, f"The Messaging Service Sid {service} is invalid.")
        message = StandInMessage(
            sid=new_sid("SM"),
            account_sid=account,
            to=to,
            # Through a Messaging Service, Twilio picks the pool number after accepting.
            from_=sender or None,
            body=body,
            status="accepted" if service else "queued",
            messaging_service_sid=service or None,
            status_callback=value("StatusCallback") or None,
            num_media=len(form.get("MediaUrl", [])),
            form=form,
        )
        response = _json(201, message.resource())
        if self.send_immediately:
            message.status = "sent"
            message.date_sent = message.date_updated = datetime.now(UTC)
            if service and message.from_ is None:
                pool = self.messaging_services[service]
                message.from_ = pool[0] if pool else None
        with self._lock:
            self.messages.append(message)
        return response

    def _list(self, account: str, path: str, params: dict[str, list[str]]) -> Response:
        def value(name: str) -> str:
            return (params.get(name) or [""])[0]

        try:
            page = max(0, int(value("Page") or 0))
            page_size = min(1000, max(1, int(value("PageSize") or 50)))
            exact, after, before = (
                _when(value(name)) for name in ("DateSent", "DateSent>", "DateSent<")
            )
        except ValueError:
            return _error(400, 20001, "Invalid paging or date filter")
        with self._lock:
            found = [m for m in self.messages if m.account_sid == account]
        if value("To"):
            found = [m for m in found if m.to == value("To")]
        if value("From"):
            found = [m for m in found if m.from_ == value("From")]
        for bound, test in (
            (exact, lambda sent, b: _same(sent, b)),
            (after, lambda sent, b: _compare(sent, b) >= 0),
            (before, lambda sent, b: _compare(sent, b) <= 0),
        ):
            if bound is not None:
                found = [m for m in found if m.date_sent is not None and test(m.date_sent, bound)]
        found.sort(key=lambda m: m.date_created, reverse=True)
        start = page * page_size
        chunk = found[start : start + page_size]
        filters = {
            key: values[0]
            for key, values in params.items()
            if key not in ("Page", "PageSize", "PageToken")
        }

        def page_uri(number: int) -> str:
            query = urlencode({**filters, "PageSize": page_size, "Page": number})
            return f"{path}?{query}"

        more = start + page_size < len(found)
        return _json(
            200,
            {
                "end": start + len(chunk) - 1 if chunk else start,
                "first_page_uri": page_uri(0),
                "messages": [message.resource() for message in chunk],
                "next_page_uri": page_uri(page + 1) if more else None,
                "page": page,
                "page_size": page_size,
                "previous_page_uri": page_uri(page - 1) if page else None,
                "start": start,
                "uri": page_uri(page),
            },
        )

    def _media_response(self, path: str) -> Response:
        with self._lock:
            media = self._media.get(path)
        if media is None:
            return _error(404, 20404)
        if media.redirect:
            token = secrets.token_urlsafe(16)
            with self._lock:
                self._cdn[token] = path
            return 307, {"Location": f"{self.base_url}/cdn/{token}", "Content-Length": "0"}, b""
        return _media_bytes(media)

    def _cdn_media(self, path: str) -> Response:
        with self._lock:
            media_path = self._cdn.get(path.removeprefix("/cdn/"))
            media = self._media.get(media_path or "")
        if media is None:
            return 403, {"Content-Type": "application/xml"}, b"<Error>AccessDenied</Error>"
        return _media_bytes(media)


def _kind(method: str, path: str) -> str:
    if path.endswith("/Messages.json"):
        return "send" if method == "POST" else "list"
    if "/Media/" in path or path.startswith("/cdn/"):
        return "media"
    return "other"


def _query(query: str | Mapping[str, str | list[str]]) -> dict[str, list[str]]:
    if isinstance(query, str):
        params: dict[str, list[str]] = {}
        for key, value in parse_qsl(query.lstrip("?"), keep_blank_values=True):
            params.setdefault(key, []).append(value)
        return params
    return {k: list(v) if isinstance(v, list) else [v] for k, v in query.items()}


def _when(text: str) -> datetime | date | None:
    """A DateSent filter value: a day (YYYY-MM-DD) or a moment (...THH:MM:SSZ)."""
    if not text:
        return None
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _compare(sent: datetime, bound: datetime | date) -> int:
    if isinstance(bound, datetime):
        moment = sent.replace(microsecond=0)
        return (moment > bound) - (moment < bound)
    day = sent.astimezone(UTC).date()
    return (day > bound) - (day < bound)


def _same(sent: datetime, bound: datetime | date) -> bool:
    return _compare(sent, bound) == 0


def _media_bytes(media: _Media) -> Response:
    headers = {"Content-Type": media.content_type}
    if media.chunked:
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers["Content-Length"] = str(len(media.data))
    return 200, headers, media.data


def _json(status: int, payload: object) -> Response:
    data = json.dumps(payload).encode()
    return status, {"Content-Type": "application/json", "Content-Length": str(len(data))}, data


def _error(status: int, code: int, message: str | None = None) -> Response:
    return _json(
        status,
        {
            "code": code,
            "message": message or ERROR_TEXT.get(code, "Error"),
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )
