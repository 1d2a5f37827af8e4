"""Personalisation: {{ contact.first_name }} placeholders, and nothing more.

A Django-template-like syntax limited to safe variables: a placeholder names one
of a few roots (contact, custom, item, event, sender, library) and a field, with an
optional `|default:"…"`. No tags, no filters, no attribute walking: a template
written by staff can read only what the recipient may see about themselves.
Values are escaped for HTML parts; the text and SMS parts get them as they are.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

PLACEHOLDER = re.compile(
    r"\{\{\s*([a-z_]+)\.([A-Za-z0-9_]+)\s*(?:\|\s*default\s*:\s*\"([^\"{}]*)\"\s*)?\}\}"
)
ANY_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
ROOTS = ("contact", "custom", "item", "event", "sender", "library")
CONTACT_FIELDS = ("name", "first_name", "email", "phone")
SENDER_FIELDS = ("name", "first_name", "title")
LIBRARY_FIELDS = ("name",)

Context = Mapping[str, Mapping[str, object]]


def render(text: str, context: Context, *, escape: bool) -> str:
    """`text` with every placeholder replaced (unknown fields: their default or "")."""
    if "{{" not in text:
        return text

    def value(match: re.Match[str]) -> str:
        root, name, default = match.group(1), match.group(2), match.group(3) or ""
        found = context.get(root, {}).get(name)
        out = str(found) if found not in (None, "") else default
        return html.escape(out) if escape else out

    return PLACEHOLDER.sub(value, text)


def problems(text: str) -> list[str]:
    """What a template uses that it may not (unknown roots or fields, tags)."""
    found: list[str] = []
    for tag in ANY_TAG.findall(text):
        match = PLACEHOLDER.fullmatch(tag)
        if match is None:
            found.append(
                f"{tag} is not a placeholder this editor knows (use {{{{ root.field }}}})."
            )
            continue
        root, name = match.group(1), match.group(2)
        allowed = {
            "contact": CONTACT_FIELDS,
            "sender": SENDER_FIELDS,
            "library": LIBRARY_FIELDS,
        }.get(root)
        if root not in ROOTS:
            found.append(f"{tag}: “{root}” is not one of {', '.join(ROOTS)}.")
        elif allowed is not None and name not in allowed:
            found.append(f"{tag}: {root} has only {', '.join(allowed)}.")
    return found


# Impersonal wording and what to say instead: the check the editor runs.
IMPERSONAL = (
    (
        re.compile(r"\bdear\s+(customer|patron|user|member|sir\s*/\s*madam)\b", re.I),
        'Greet them by name: “Hi {{ contact.first_name|default:"there" }},”.',
    ),
    (
        re.compile(r"\bdo\s+not\s+reply\b|\bdon'?t\s+reply\b", re.I),
        "Invite an answer instead: “Just reply to this email if you have a question.”",
    ),
    (
        re.compile(r"\bno[-_ ]?reply\b", re.I),
        "Send as a person: replies come back to the inbox, so there is no need for no-reply.",
    ),
    (re.compile(r"\bvalued\s+(customer|patron)\b", re.I), "Name the person, not the category."),
)


def impersonal_wording(*texts: str) -> list[tuple[str, str]]:
    """(the phrase found, a friendlier suggestion) for each impersonal phrase."""
    found: list[tuple[str, str]] = []
    for text in texts:
        for pattern, suggestion in IMPERSONAL:
            found.extend((match.group(0), suggestion) for match in pattern.finditer(text or ""))
    return found
