"""The one way an action says no.

Every action raises `ActionError` (or a domain subclass such as `InboxError`) for a
change that cannot be made as asked, and `NotAllowed` when the acting member may
not make it. Callers never translate these one by one: `ActionErrorMiddleware`
turns them into the 403 page, a 400, or an htmx message; the API's exception
handler turns them into `{"detail": ...}` with 403 or 409. A view catches an
`ActionError` only to show it as a form error.
"""

from __future__ import annotations


class ActionError(Exception):
    """A change that cannot be made as asked. The message is for people.

    `field` names the form field the problem belongs to (None: the whole form);
    `code` is a short machine-readable reason for callers that branch on it.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def __str__(self) -> str:
        return self.message


class NotAllowed(ActionError):
    """The acting member may not make this change: 403 on a page and in the API."""
