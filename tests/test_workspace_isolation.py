"""One workspace never sees another's data: a sweep over every model and every URL.

Nothing here lists models or URLs by hand. The sweep
- checks that every Frontdesk model carries a workspace (or is exempt, with a reason);
- builds one row of every workspace model inside a foreign workspace ("Hillview"),
  all with the same id (each model has its own table), one that no row of the
  signed-in owner's workspace has: so one request per route and method tries a
  foreign row of whatever model the route's id names;
- walks every URL pattern of the project and requests it as the owner of
  "Riverside" (who holds every capability, so a 403 cannot hide a leak):
  * any workspace URL with Hillview's slug       -> 404;
  * any URL with a Hillview object's id          -> 404 (or 405 for a wrong method);
  * any JSON API route with a Hillview id        -> no 2xx, through a Riverside token;
  * every page and API list that does answer     -> shows none of Hillview's text;
- and finally checks no Hillview row changed, whatever was POSTed at it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.db import connection, models
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from model_bakery import baker

from frontdesk.core.actions.workspaces import create_workspace
from frontdesk.core.models import User, Workspace
from frontdesk.core.scoping import WorkspaceManager, workspace_models

pytestmark = pytest.mark.django_db

EXEMPT_MODELS = {
    "core.Workspace": "the tenant itself; reached only through a membership",
    "core.User": "a person may work in several workspaces; reached through Membership",
}

# URL prefixes outside any workspace, each with the reason it needs no sweep.
UNSCOPED_PREFIXES = {
    "admin/": "the back office, for superusers only (tested separately below)",
    "media/": "uploaded files, addressed by unguessable storage paths",
    "static/": "public assets",
}

FOREIGN_PK = 9_000_001
CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass
class Route:
    route: str
    name: str | None
    converters: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def has_workspace(self) -> bool:
        return any(name == "ws" for _, name in self.converters)

    @property
    def object_params(self) -> list[str]:
        return [name for conv, name in self.converters if name != "ws"]

    def fill(self, values: dict[str, object]) -> str:
        def sub(match: re.Match[str]) -> str:
            return str(values[match.group("name")])

        return "/" + CONVERTER.sub(sub, self.route)


def _walk(patterns, prefix: str = "") -> list[Route]:
    routes: list[Route] = []
    for pattern in patterns:
        text = str(pattern.pattern)
        if text.startswith("^"):
            text = text.lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            routes.extend(_walk(pattern.url_patterns, prefix + text))
        elif isinstance(pattern, URLPattern):
            full = prefix + text
            convs = [(m.group("conv") or "str", m.group("name")) for m in CONVERTER.finditer(full)]
            routes.append(Route(full, pattern.name, convs))
    return routes


def all_routes() -> list[Route]:
    return _walk(get_resolver().url_patterns)


def test_every_frontdesk_model_belongs_to_a_workspace_or_says_why_not():
    unscoped = []
    for model in apps.get_models():
        if not model.__module__.startswith("frontdesk."):
            continue
        label = model._meta.label
        if label in EXEMPT_MODELS:
            continue
        if model not in workspace_models():
            unscoped.append(label)
        elif not isinstance(model._default_manager, WorkspaceManager):
            unscoped.append(f"{label} (default manager lacks for_workspace)")
    assert unscoped == [], f"models without workspace scoping: {unscoped}"


class ForeignWorld:
    """Hillview: one row of every workspace model, with ids Riverside never uses."""

    def __init__(self) -> None:
        owner = User.objects.create_user("hana@hillview.example", "x" * 12)
        self.workspace = create_workspace(
            name="Hillview Secret Branch",
            slug="hillview-secret",
            owner=owner,
            owner_display_name="Hana Hillview",
        )
        self.user = owner
        self.rows: dict[type[models.Model], models.Model] = {}
        self._users = itertools.count(1)
        for model in workspace_models():
            self.build(model)
        if connection.vendor == "sqlite":
            # SQLite's AUTOINCREMENT continues after the highest id ever used, so rows
            # Riverside creates later would take ids in Hillview's range; move past it.
            with connection.cursor() as cursor:
                cursor.execute("UPDATE sqlite_sequence SET seq = MAX(seq, %s)", [FOREIGN_PK * 2])

    def build(self, model: type[models.Model]) -> models.Model:
        if model in self.rows:
            return self.rows[model]
        values: dict[str, object] = {"workspace": self.workspace, "pk": FOREIGN_PK}
        for f in model._meta.fields:
            if not f.many_to_one or f.name == "workspace":
                continue
            target = f.related_model
            if target is model:
                values[f.name] = None  # self-references (e.g. merged_into) stay empty
            elif target is User:
                values[f.name] = User.objects.create_user(
                    f"{model._meta.model_name}-{next(self._users)}@hillview.example"
                )
            elif target is Workspace:
                values[f.name] = self.workspace
            elif target in workspace_models():
                values[f.name] = self.build(target)
        # Every optional field filled, except those the database computes itself
        # (GeneratedField), which model_bakery cannot fill.
        optional = [f.name for f in model._meta.fields if not f.generated]
        row = baker.make(model, _fill_optional=optional, **values)
        self.rows[model] = row
        return row

    def snapshot(self) -> dict[str, dict[str, object]]:
        return {
            row._meta.label: model_to_dict(type(row)._base_manager.get(pk=row.pk))
            for row in self.rows.values()
        }

    def markers(self) -> set[str]:
        """Distinctive text of Hillview's rows that must never show up in Riverside."""
        found = {self.workspace.name}
        for row in self.rows.values():
            for f in row._meta.fields:
                if isinstance(f, (models.CharField, models.TextField)) and not f.choices:
                    value = getattr(row, f.attname)
                    if isinstance(value, str) and len(value) >= 12:
                        found.add(value)
        return found

    def ids(self) -> list[int]:
        return sorted({row.pk for row in self.rows.values()})


@pytest.fixture
def world(cast):
    return ForeignWorld()


@pytest.fixture
def owner_client(cast) -> Client:
    client = Client()
    client.force_login(cast["owner"].user)
    return client


@pytest.fixture
def owner_token(cast) -> str | None:
    try:
        from frontdesk.api.actions import create_api_token
    except ImportError:  # the API app has no tokens yet
        return None
    _, plaintext = create_api_token(cast["owner"], name="isolation sweep")
    return plaintext


def _swept(routes: list[Route]) -> list[Route]:
    return [r for r in routes if not r.route.startswith(tuple(UNSCOPED_PREFIXES))]


def test_every_workspace_model_gets_a_row_in_the_foreign_workspace(world):
    built = {m._meta.label for m in world.rows}
    expected = {m._meta.label for m in workspace_models()}
    assert built == expected
    assert all(row.workspace_id == world.workspace.pk for row in world.rows.values())
    assert world.ids() == [FOREIGN_PK], "one id names a foreign row in every table"
    assert len(world.markers()) > len(world.rows) // 2


def test_workspace_urls_with_a_foreign_slug_are_404(world, owner_client, cast):
    routes = [r for r in _swept(all_routes()) if r.has_workspace]
    assert len(routes) >= 10, "the sweep found suspiciously few workspace URLs"
    for route in routes:
        values = {name: world.ids()[0] for name in route.object_params}
        url = route.fill({"ws": world.workspace.slug, **values})
        for method in ("get", "post"):
            response = getattr(owner_client, method)(url)
            assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"


def test_urls_naming_a_foreign_object_never_reach_it(world, owner_client, owner_token, cast):
    riverside = cast["owner"].workspace
    before = world.snapshot()
    api_headers = {"HTTP_AUTHORIZATION": f"Bearer {owner_token}"} if owner_token else {}
    checked = 0
    for route in _swept(all_routes()):
        if not route.object_params:
            continue
        for foreign_id in world.ids():
            values: dict[str, object] = {"ws": riverside.slug}
            values |= {name: foreign_id for name in route.object_params}
            url = route.fill(values)
            if route.is_api:
                for method in ("get", "post", "put", "patch", "delete"):
                    body = {} if method == "get" else {"data": "{}"}
                    response = getattr(owner_client, method)(
                        url, content_type="application/json", **body, **api_headers
                    )
                    assert response.status_code in (401, 404, 405, 422), (
                        f"{method.upper()} {url} -> {response.status_code}"
                    )
                    if owner_token:
                        assert response.status_code != 401, f"{url}: token refused"
            else:
                statuses = {
                    method: getattr(owner_client, method)(url).status_code
                    for method in ("get", "post")
                }
                assert set(statuses.values()) <= {404, 405}, f"{url} -> {statuses}"
                assert 404 in statuses.values(), f"{url} -> {statuses}"
            checked += 1
    assert checked > 0
    assert world.snapshot() == before, "a request changed a row of another workspace"


def test_pages_and_lists_of_my_workspace_show_nothing_of_another(
    world, owner_client, owner_token, cast
):
    riverside = cast["owner"].workspace
    markers = world.markers()
    api_headers = {"HTTP_AUTHORIZATION": f"Bearer {owner_token}"} if owner_token else {}
    answered = 0
    for route in _swept(all_routes()):
        if route.object_params:
            continue
        url = route.fill({"ws": riverside.slug})
        response = owner_client.get(url, **(api_headers if route.is_api else {}))
        if response.status_code != 200 or not hasattr(response, "content"):
            continue
        body = response.content.decode("utf-8", "replace")
        leaked = [m for m in markers if m in body]
        assert leaked == [], f"GET {url} shows another workspace's data: {leaked[:3]}"
        answered += 1
    assert answered >= 5


def test_the_admin_is_closed_to_workspace_staff(owner_client):
    response = owner_client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
