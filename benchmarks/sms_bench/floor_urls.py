"""The floor's one view: the same signature check as the webhook, then one INSERT."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import path
from django.utils import timezone
from twilio.request_validator import RequestValidator

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
TABLE = "bench_sms_floor"
INSERT = (
    f"INSERT INTO {TABLE} (message_sid, sender, body, received_at) "  # noqa: S608 - a constant
    "VALUES (%s, %s, %s, %s) ON CONFLICT (message_sid) DO NOTHING"
)

validator = RequestValidator(settings.SMS_BENCH_AUTH_TOKEN)


def floor(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405)
    url = settings.PUBLIC_BASE_URL + request.path
    signature = request.headers.get("X-Twilio-Signature", "")
    if not validator.validate(url, request.POST, signature):
        return HttpResponseForbidden()
    post = request.POST
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT,
            [post["MessageSid"], post["From"], post.get("Body", ""), timezone.now().isoformat()],
        )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


urlpatterns = [path("floor/sms/", floor)]
