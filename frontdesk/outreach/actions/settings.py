"""A workspace's outreach settings (the postal address in every footer, the default
sender, open and click tracking) and its topics, the kinds of mail people opt in to
or out of. Both need manage_workspace (admins and owners)."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from frontdesk.core import roles
from frontdesk.core.errors import ActionError
from frontdesk.core.models import Membership
from frontdesk.core.permissions import require
from frontdesk.outreach.models import OutreachSettings, SenderIdentity, Topic

ADDRESS_MAX = 500  # a postal address of a few lines (the model's field is unbounded)
SLUG_MAX = Topic._meta.get_field("slug").max_length or 40
NAME_MAX = Topic._meta.get_field("name").max_length or 80
DESCRIPTION_MAX = Topic._meta.get_field("description").max_length or 255
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


def settings_of(workspace_id: int) -> OutreachSettings:
    """The workspace's settings as saved, or the defaults (unsaved) if never saved."""
    found = (
        OutreachSettings.objects.filter(workspace_id=workspace_id)
        .select_related("default_sender")
        .first()
    )
    return found or OutreachSettings(workspace_id=workspace_id)


def update_outreach_settings(
    workspace_id: int,
    *,
    physical_address: str,
    track_opens_and_clicks: bool,
    default_sender: SenderIdentity | None,
    by: Membership,
) -> OutreachSettings:
    """Save the workspace's outreach settings; messages sent from now on carry them.
    `default_sender` must be one of the workspace's senders and not archived."""
    require(by, roles.MANAGE_WORKSPACE, workspace_id=workspace_id)
    lines = [line.rstrip() for line in physical_address.strip().splitlines()]
    address = "\n".join(lines)
    if len(address) > ADDRESS_MAX:
        raise ActionError(
            f"Keep the postal address under {ADDRESS_MAX} characters.", field="physical_address"
        )
    if default_sender is not None:
        if default_sender.workspace_id != workspace_id:
            raise ActionError("Choose one of this workspace's senders.", field="default_sender")
        if default_sender.archived_at is not None:
            raise ActionError(
                f"{default_sender.name} is archived: bring them back on the senders page "
                "first, or choose another sender.",
                field="default_sender",
            )
    with transaction.atomic():
        found, _ = OutreachSettings.objects.select_for_update().get_or_create(
            workspace_id=workspace_id
        )
        found.physical_address = address
        found.track_opens_and_clicks = bool(track_opens_and_clicks)
        found.default_sender = default_sender
        found.save(update_fields=["physical_address", "track_opens_and_clicks", "default_sender"])
    return found


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ActionError("Give the topic a name.", field="name")
    if len(name) > NAME_MAX:
        raise ActionError(f"Keep the name under {NAME_MAX} characters.", field="name")
    return name


def _description(description: str) -> str:
    description = " ".join(description.split())
    if len(description) > DESCRIPTION_MAX:
        raise ActionError(
            f"Keep the description under {DESCRIPTION_MAX} characters.", field="description"
        )
    return description


def _slug(slug: str, name: str) -> str:
    if slug.strip():
        slug = slug.strip().lower()
        if not SLUG_PATTERN.fullmatch(slug):
            raise ActionError(
                "Use lowercase letters, digits and hyphens in the slug, e.g. “book-club”.",
                field="slug",
            )
    else:
        slug = slugify(name)[:SLUG_MAX].strip("-_")
        if not slug:
            raise ActionError(
                "The name makes no slug: type one (lowercase letters, digits, hyphens).",
                field="slug",
            )
    if len(slug) > SLUG_MAX:
        raise ActionError(f"Keep the slug under {SLUG_MAX} characters.", field="slug")
    return slug


def _taken(slug: str) -> ActionError:
    return ActionError(
        f"A topic with the slug “{slug}” exists already: choose another.",
        field="slug",
        code="slug_taken",
    )


def create_topic(
    workspace_id: int,
    *,
    name: str,
    slug: str = "",
    description: str = "",
    double_opt_in: bool = False,
    by: Membership,
) -> Topic:
    """A new topic people may opt in to on their preferences page. An empty `slug`
    is made from the name; a slug is unique in the workspace and never changes
    (CSV imports name `topic.<slug>`)."""
    require(by, roles.MANAGE_WORKSPACE, workspace_id=workspace_id)
    name = _name(name)
    slug = _slug(slug, name)
    description = _description(description)
    if Topic.objects.filter(workspace_id=workspace_id, slug=slug).exists():
        raise _taken(slug)
    try:
        with transaction.atomic():
            return Topic.objects.create(
                workspace_id=workspace_id,
                slug=slug,
                name=name,
                description=description,
                double_opt_in=bool(double_opt_in),
            )
    except IntegrityError:  # made at the same moment by someone else
        raise _taken(slug) from None


def update_topic(
    topic: Topic,
    *,
    name: str,
    description: str = "",
    double_opt_in: bool = False,
    by: Membership,
) -> Topic:
    """Rename or redescribe a topic, or change whether it asks for confirmation.
    Turning double opt-in on changes nothing for people subscribed already: only
    new subscriptions wait for confirmation."""
    require(by, roles.MANAGE_WORKSPACE, workspace_id=topic.workspace_id)
    topic.name = _name(name)
    topic.description = _description(description)
    topic.double_opt_in = bool(double_opt_in)
    topic.save(update_fields=["name", "description", "double_opt_in"])
    return topic
