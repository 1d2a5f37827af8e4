from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

if TYPE_CHECKING:
    from frontdesk.core.models import Membership

register = template.Library()


@register.filter
def can(membership: Membership | None, capability: str) -> bool:
    """`{% if membership|can:"manage_team" %}`: the template side of require_capability."""
    return bool(membership is not None and membership.can(capability))
