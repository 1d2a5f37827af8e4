"""Watches: create, change, delete. Each takes the acting member as `by`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from django.db import IntegrityError, transaction

from frontdesk.core.models import Membership, Workspace
from frontdesk.listening.actions.common import ListeningError, require_to_act
from frontdesk.listening.models import Watch
from frontdesk.listening.query import QueryError, parse

NAME_MAX = 80


@dataclass(frozen=True, kw_only=True)
class WatchSettings:
    """What a person sets on a watch (the form's cleaned values)."""

    name: str
    query: str
    language: str = ""
    is_active: bool = True
    alert_negative: bool = True
    alert_needs_reply: bool = True
    alert_spike: bool = True
    digest_email: bool = True
    quiet_start: time | None = None
    quiet_end: time | None = None


def _checked(values: WatchSettings) -> WatchSettings:
    name = " ".join(values.name.split())
    if not name:
        raise ListeningError("Give the watch a name.", field="name")
    if len(name) > NAME_MAX:
        raise ListeningError(f"Keep the name under {NAME_MAX} characters.", field="name")
    try:
        parse(values.query)
    except QueryError as error:
        raise ListeningError(str(error), field="query", code="bad_query") from None
    if (values.quiet_start is None) != (values.quiet_end is None):
        raise ListeningError("Give quiet hours a start and an end, or neither.", field="quiet_end")
    language = values.language.strip().lower()
    if language and not (language.isalpha() and 2 <= len(language) <= 3):
        raise ListeningError("A language is a two-letter code such as en or es.", field="language")
    return WatchSettings(
        **{**values.__dict__, "name": name, "query": values.query.strip(), "language": language}
    )


def create_watch(workspace: Workspace, values: WatchSettings, *, by: Membership) -> Watch:
    """Create a watch; ListeningError for a bad query (with its position) or a taken name."""
    require_to_act(by, workspace.pk)
    values = _checked(values)
    try:
        with transaction.atomic():
            return Watch.objects.create(workspace=workspace, created_by=by, **values.__dict__)
    except IntegrityError:
        raise ListeningError("A watch with that name exists.", field="name") from None


def update_watch(watch: Watch, values: WatchSettings, *, by: Membership) -> Watch:
    """Change a watch. Mentions already found keep their matches; new polls use the
    new query."""
    require_to_act(by, watch.workspace_id)
    values = _checked(values)
    for name, value in values.__dict__.items():
        setattr(watch, name, value)
    try:
        with transaction.atomic():
            watch.save()
    except IntegrityError:
        raise ListeningError("A watch with that name exists.", field="name") from None
    return watch


def delete_watch(watch: Watch, *, by: Membership) -> None:
    """Delete a watch; mentions it found stay (with their other watches)."""
    require_to_act(by, watch.workspace_id)
    watch.delete()


def add_exclusion(watch: Watch, word: str, *, by: Membership) -> Watch:
    """Leave posts with `word` out of the watch (a suggested exclusion accepted)."""
    require_to_act(by, watch.workspace_id)
    word = " ".join(word.split())
    if not word or len(word) > NAME_MAX:
        raise ListeningError("Choose a word to leave out.")
    excluded = f'-"{word}"' if " " in word else f"-{word}"
    query = f"({watch.query}) {excluded}" if " OR " in watch.query else f"{watch.query} {excluded}"
    try:
        parse(query)
    except QueryError as error:
        raise ListeningError(str(error), code="bad_query") from None
    watch.query = query
    watch.save(update_fields=["query"])
    return watch
