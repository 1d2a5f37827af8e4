"""frontdesk.urls plus `bench/ok` (last, so it is resolved as a real route would be)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from frontdesk.urls import urlpatterns as frontdesk_urlpatterns


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [*frontdesk_urlpatterns, path("bench/ok", ok)]
