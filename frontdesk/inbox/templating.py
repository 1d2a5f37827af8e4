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

# What a variable becomes when its value is unknown (a patron who left only a phone
# number, a colleague without a title): never a blank, as in "Hi , thanks".
CUSTOMER_FALLBACK = "there"
TEAM_FALLBACK = "the team"
LIBRARY_FALLBACK = "the library"

# What each variable becomes, for the people writing saved replies.
VARIABLE_DESCRIPTIONS = {
    "contact.first_name": f"The customer’s first name, or “{CUSTOMER_FALLBACK}” when unknown",
    "contact.name": f"The customer’s full name, or “{CUSTOMER_FALLBACK}” when unknown",
    "me.first_name": "The sender’s first name (the workspace’s name if they have none)",
    "me.name": "The sender’s full name (the workspace’s name if they have none)",
    "me.title": "The sender’s job title (the workspace’s name if they have none)",
    "workspace.name": "The workspace’s name",
}


def render_saved_reply(
    body: str,
    *,
    contact: Contact | None,
    me: Membership | None,
    workspace: Workspace | None = None,
) -> str:
    """Fill in {{ contact.first_name }}, {{ me.first_name }}, ... (see VARIABLES).

    A known variable whose value is missing gets its fallback (VARIABLE_DESCRIPTIONS
    says which), never a blank; an unknown name renders as nothing.
    """
    library = (workspace.name.strip() if workspace else "") or LIBRARY_FALLBACK
    sender = (me.display_name.strip() if me else "") or (
        workspace.name.strip() if workspace else ""
    )
    values = {
        "contact.first_name": (contact.first_name if contact else "") or CUSTOMER_FALLBACK,
        "contact.name": (contact.name.strip() if contact else "") or CUSTOMER_FALLBACK,
        "me.first_name": (me.first_name if me else "") or sender or TEAM_FALLBACK,
        "me.name": sender or TEAM_FALLBACK,
        "me.title": (me.title.strip() if me else "") or library,
        "workspace.name": library,
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
