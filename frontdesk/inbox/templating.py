"""Saved-reply variables: a tiny allow-list renderer, not a template engine.

Staff write saved replies, so their text must not reach Django's template engine
(which could read any attribute of any object in its context and load tags). Only
these names are filled in; anything else between {{ and }} renders as nothing.
"""

from __future__ import annotations

import re

from frontdesk.core.models import Contact, Membership, Workspace

VARIABLE = re.compile(r"\{\{\s*(.*?)\s*\}\}")

VARIABLES = (
    "contact.first_name",
    "contact.name",
    "me.first_name",
    "me.name",
    "me.title",
    "workspace.name",
)


def render_saved_reply(
    body: str,
    *,
    contact: Contact | None,
    me: Membership | None,
    workspace: Workspace | None = None,
) -> str:
    """Fill in {{ contact.first_name }}, {{ me.first_name }}, ... (see VARIABLES)."""
    values = {
        "contact.first_name": contact.first_name if contact else "",
        "contact.name": contact.name if contact else "",
        "me.first_name": me.first_name if me else "",
        "me.name": me.display_name if me else "",
        "me.title": me.title if me else "",
        "workspace.name": workspace.name if workspace else "",
    }
    return VARIABLE.sub(lambda match: values.get(match.group(1), ""), body)
