from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import get_resolver, resolve
from django.utils import timezone

from frontdesk.core.errors import ActionError, NotAllowed
from frontdesk.core.models import Membership

logger = logging.getLogger("frontdesk.request")

WORKSPACE_KWARG = "ws"


class CurrentWorkspaceMiddleware:
    """Resolve `/w/<ws>/...` to `request.workspace` and `request.membership`.

    This is the one gate between a signed-in person and a workspace's data: a
    view under `/w/<ws>/` only runs for an active member of that workspace;
    anyone else gets 404 (not 403, which would confirm the workspace exists).
    The `ws` argument is consumed here, so views never look workspaces up themselves.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.workspace = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if WORKSPACE_KWARG not in view_kwargs:
            return None
        slug = view_kwargs.pop(WORKSPACE_KWARG)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        membership = (
            Membership.objects.select_related("workspace")
            .filter(user=request.user, workspace__slug=slug, is_active=True)
            .first()
        )
        if membership is None:
            raise Http404("No such workspace")
        request.workspace = membership.workspace  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        # Dates and times on a workspace's pages read in the library's own time zone.
        timezone.activate(membership.workspace.tzinfo)
        if request.session.get("workspace") != slug:
            request.session["workspace"] = slug
        return None


class RequestLogMiddleware:
    """One log line per request: method, path, status, duration, user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if request.path.startswith(("/static/", "/healthz")):
            return response
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        user = getattr(request, "user", None)
        level = logging.WARNING if response.status_code >= 500 else logging.INFO
        logger.log(
            level,
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "ms": elapsed_ms,
                "user": user.pk if user is not None and user.is_authenticated else "-",
            },
        )
        return response


HOOKS_PREFIX = "/hooks/"


class HookFastLaneMiddleware:
    """Providers' webhooks (`/hooks/…`) go straight to their view.

    A webhook is a machine's signed request: no session, sign-in, CSRF token, flash
    message, htmx header, workspace or login lockout applies to it, and a busy SMS
    number sends many per second. So requests under HOOKS_PREFIX are resolved and
    their view called here, skipping the browser middleware below this one in
    settings.MIDDLEWARE (what sits above, security headers and the request log,
    still runs). A view that raises gets the usual error response from Django's
    handler around this middleware. Everything else continues down the chain.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(HOOKS_PREFIX):
            return self.get_response(request)
        match = resolve(request.path_info)
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)


# The event the pages' script shows as a toast (and reads out to screen readers).
TOAST_EVENT = "inbox:toast"


class ActionErrorMiddleware:
    """Answer an ActionError that a view let through, the same way on every page.

    NotAllowed is the site's 403 page; any other ActionError is a 400 with its
    message. An htmx request gets the same status with the message as plain text
    and an HX-Trigger toast, since htmx swaps nothing on a 4xx and a whole error
    page would be no use inside a fragment. Views catch an ActionError only to show
    it as a form error.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ActionError):
            return None
        status = 403 if isinstance(exception, NotAllowed) else 400
        if getattr(request, "htmx", False):
            response = HttpResponse(
                exception.message, status=status, content_type="text/plain; charset=utf-8"
            )
            response["HX-Trigger"] = json.dumps({TOAST_EVENT: {"text": exception.message}})
            return response
        if status == 403:
            # The same page (and handler403, if one is set) as a PermissionDenied gets.
            urlconf = getattr(request, "urlconf", None)
            handler: Callable[..., HttpResponse] = get_resolver(urlconf).resolve_error_handler(403)
            return handler(request, exception=PermissionDenied(exception.message))
        return HttpResponse(exception.message, status=400, content_type="text/plain; charset=utf-8")
