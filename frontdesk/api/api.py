"""The JSON API at /api/v1/: bearer tokens, one router per domain, JSON errors.

Every endpoint needs a token except the OpenAPI document (/api/v1/openapi.json) and
the interactive docs (/api/v1/docs). Errors are always `ErrorOut`: `{"detail": "..."}`,
plus `errors` (each field's problem) when the input does not fit the schema (422).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser

from frontdesk.api.auth import ApiTokenAuth
from frontdesk.api.routers import community, contacts, inbox, me, notices
from frontdesk.core.errors import ActionError, NotAllowed

_ERROR = {"$ref": "#/components/schemas/ErrorOut"}
# Answers any operation may give, documented on every one (the handlers below).
_ALWAYS = {
    400: "A request that cannot be read: a body that is not JSON, or text with NUL.",
    401: "No token, or one that is revoked or belongs to someone no longer active.",
    422: "Input that does not fit the schema (see `errors`), or that makes no sense.",
}


class BadBody(ValueError):
    """A JSON body that no database can store: a NUL character in a string."""


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


_NUL = "Text must not contain NUL characters (\\u0000)."


class JsonParser(Parser):
    """JSON bodies and query strings, refusing NUL characters in any text: PostgreSQL
    cannot store or even compare them (SQLite can), so they are refused here, for
    every field at once, rather than failing on the query."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body)
        if _has_nul(data):
            raise BadBody(_NUL)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        if any(_has_nul(key) or _has_nul(data.getlist(key)) for key in data):
            raise BadBody(_NUL)
        return super().parse_querydict(data, list_fields, request)


class FrontdeskApi(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """The generated document, with the errors every operation may answer."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for path in schema["paths"].values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                for status, text in _ALWAYS.items():
                    responses.setdefault(
                        status,
                        {"description": text, "content": {"application/json": {"schema": _ERROR}}},
                    )
        return schema


api = FrontdeskApi(
    title="Frontdesk API",
    version="1",
    description=(
        "Act as one staff member in one workspace. Send "
        "`Authorization: Bearer fd_…` with a token made under Settings → API tokens."
    ),
    # Not "api": that is the namespace of the token pages (`api:tokens`).
    urls_namespace="api-v1",
    auth=ApiTokenAuth(),
    parser=JsonParser(),
)
api.add_router("/me", me.router)
api.add_router("/contacts", contacts.router)
api.add_router("/community", community.router)
api.add_router("/conversations", inbox.router)
api.add_router("/notices", notices.router)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(DjangoValidationError)
def _invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": " ".join(exc.messages)}, status=422)


@api.exception_handler(ActionError)
def _action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    """An action said no: 403 when the token's member may not, else 409 (the row's
    state, e.g. an address another contact owns, does not allow it)."""
    status = 403 if isinstance(exc, NotAllowed) else 409
    return api.create_response(request, {"detail": exc.message}, status=status)


@api.exception_handler(ValidationError)
def _schema_mismatch(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Input that does not fit the schema: `detail` in words, `errors` per field."""
    errors = [
        {
            "loc": [part for part in error.get("loc", ()) if isinstance(part, str | int)],
            "msg": str(error.get("msg", "Invalid value.")),
        }
        for error in exc.errors
    ]
    detail = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:]) or 'input'}: {e['msg']}" for e in errors
    )
    return api.create_response(
        request, {"detail": detail or "The input is not valid.", "errors": errors}, status=422
    )


@api.exception_handler(BadBody)
def _bad_body(request: HttpRequest, exc: BadBody) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)
