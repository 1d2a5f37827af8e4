"""The demo's local feed about Riverside (answers 404 unless FRONTDESK_DEMO)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone

from frontdesk.demo.listening_posts import feed_xml


def feed(request: HttpRequest) -> HttpResponse:
    if not settings.FRONTDESK_DEMO:
        raise Http404("Demo mode is off")
    # Dated to the hour, so conditional GETs within the hour are answered 304.
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    body = feed_xml(settings.PUBLIC_BASE_URL, now=now)
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:20] + '"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    response = HttpResponse(body, content_type="application/rss+xml; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "max-age=300"
    return response
