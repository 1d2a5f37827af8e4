"""The one place where "every row belongs to a workspace" is written down.

Domain models inherit `WorkspaceScoped`; reads go through
`Model.objects.for_workspace(ws)`; views receive `request.workspace` from
`CurrentWorkspaceMiddleware`, which 404s before a view runs for anyone who is not
a member. The isolation sweep in tests/test_workspace_isolation.py walks every
subclass of WorkspaceScoped and every URL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

if TYPE_CHECKING:
    from frontdesk.core.models import Workspace


_M = TypeVar("_M", bound=models.Model)


class WorkspaceQuerySet(models.QuerySet[_M]):
    def for_workspace(self, workspace: Workspace) -> WorkspaceQuerySet[_M]:
        if workspace is None or workspace.pk is None:
            raise ValueError("for_workspace() needs a saved workspace")
        return self.filter(workspace=workspace)


class WorkspaceManager(models.Manager[_M]):
    """`Model.objects`: every query method, plus `for_workspace(ws)`."""

    def get_queryset(self) -> WorkspaceQuerySet[_M]:
        return WorkspaceQuerySet(self.model, using=self._db)

    def for_workspace(self, workspace: Workspace) -> WorkspaceQuerySet[_M]:
        return self.get_queryset().for_workspace(workspace)


class WorkspaceScoped(models.Model):
    """Abstract base: a row that belongs to exactly one workspace."""

    workspace = models.ForeignKey(
        "core.Workspace", on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects = WorkspaceManager()

    class Meta:
        abstract = True


def workspace_models() -> list[type[models.Model]]:
    """Every concrete model that carries a workspace (used by the isolation sweep)."""
    from django.apps import apps

    return [
        m
        for m in apps.get_models()
        if not m._meta.abstract and any(f.name == "workspace" for f in m._meta.fields)
    ]


def same_workspace(*objects: Any) -> bool:
    ids = {obj.workspace_id for obj in objects if obj is not None}
    return len(ids) <= 1
