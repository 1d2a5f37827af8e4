"""Staff manage their own API tokens: list, create (shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from frontdesk.api import actions
from frontdesk.api.forms import TokenForm
from frontdesk.api.models import ApiToken
from frontdesk.core import roles
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.permissions import require_capability


def _own_tokens(request: WorkspaceRequest):
    return ApiToken.objects.for_workspace(request.workspace).filter(membership=request.membership)


# never_cache: the page that shows a new token's secret must not sit in any cache.
@never_cache
@require_capability(roles.USE_API)
def tokens(request: WorkspaceRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created: tuple[ApiToken, str] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.create_api_token(
                request.membership,
                name=form.cleaned_data["name"],
            )
        except actions.ApiTokenError as exc:
            form.add_error("name", str(exc))
        else:
            form = TokenForm()
    context = {
        "form": form,
        "tokens": _own_tokens(request),
        "new_token": created[0] if created else None,
        "new_plaintext": created[1] if created else "",
        "api_base": request.build_absolute_uri("/api/v1/"),
    }
    return render(request, "api/tokens.html", context)


@require_POST
@require_capability(roles.USE_API)
def token_revoke(request: WorkspaceRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(_own_tokens(request), pk=pk)
    if actions.revoke_api_token(token, by=request.membership):
        messages.success(request, f"“{token.name}” revoked. Requests using it now get 401.")
    return redirect(reverse("api:tokens", kwargs={"ws": request.workspace.slug}))
