"""Sections that apps above core add to a contact's page.

Core sits below the inbox and cannot import it, yet a contact's page shows their
conversations (and, later, ways to start one). An installed app names its sections
by dotted path in its AppConfig's `contact_sections`; each is a callable
`(request, contact) -> str` returning the section's HTML (or "" to show nothing),
and the page shows them in INSTALLED_APPS order. Like the channel kinds
(`frontdesk/inbox/kinds.py`), paths are resolved on use, so core imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe

from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import Contact

ContactSection = Callable[[WorkspaceRequest, Contact], str]


def contact_sections(request: WorkspaceRequest, contact: Contact) -> list[SafeString]:
    """The HTML of every installed app's sections for this contact's page."""
    rendered: list[SafeString] = []
    for config in apps.get_app_configs():
        for path in getattr(config, "contact_sections", ()):
            section: ContactSection = import_string(path)
            html = section(request, contact)
            if html:
                # Each section renders through a template, which escaped its values.
                rendered.append(mark_safe(html))  # noqa: S308
    return rendered
