from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def can(membership: object, capability: str) -> bool:
    """`{% if membership|can:"manage_team" %}`: the template side of require_capability."""
    return bool(membership is not None and membership.can(capability))
