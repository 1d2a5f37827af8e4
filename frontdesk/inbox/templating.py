"""Saved-reply variables: a tiny allow-list renderer, not a template engine.

Staff write saved replies, so their text must not reach Django's template engine
(which could read any attribute of any object in its context and load tags). Only
these names are filled in; anything else between {{ and }} renders as nothing.
"""

from __future__ import annotations

import difflib
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

# What each variable becomes, for the people writing saved replies.
VARIABLE_DESCRIPTIONS = {
    "contact.first_name": "The customer’s first name",
    "contact.name": "The customer’s full name",
    "me.first_name": "The sender’s first name",
    "me.name": "The sender’s full name",
    "me.title": "The sender’s job title",
    "workspace.name": "The workspace’s name",
}


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


# {first_name} or { contact.name }: one brace, as many other tools write variables.
SINGLE_BRACE = re.compile(r"(?<!\{)\{\s*([A-Za-z_][\w.]*)\s*\}(?!\})")


def _suggest(name: str) -> str | None:
    bare = name.rsplit(".", 1)[-1]
    for known in VARIABLES:
        if known.endswith(f".{bare}"):
            return known
    close = difflib.get_close_matches(name, VARIABLES, n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown(name: str) -> str:
    if not name:
        return "Empty braces {{ }}: put a variable inside, e.g. {{ contact.first_name }}."
    suggestion = _suggest(name)
    hint = f"did you mean {{{{ {suggestion} }}}}?" if suggestion else "see the list of variables."
    return f"{{{{ {name} }}}} is not a variable: {hint}"


def variable_errors(body: str) -> list[str]:
    """Problems with a saved reply's variables, one sentence each (empty when fine).

    The renderer quietly drops unknown names so a customer never sees a raw
    placeholder; staff are told here, before saving, instead.
    """
    names = dict.fromkeys(m.group(1) for m in VARIABLE.finditer(body))
    errors = [_unknown(name) for name in names if name not in VARIABLES]
    rest = VARIABLE.sub("", body)
    if "{{" in rest or "}}" in rest:
        errors.append("A variable is missing its braces: write it as {{ contact.first_name }}.")
    for name in dict.fromkeys(m.group(1) for m in SINGLE_BRACE.finditer(rest)):
        known = _suggest(name) or name
        errors.append(f"Write {{{name}}} with two braces, e.g. {{{{ {known} }}}}.")
    return errors
