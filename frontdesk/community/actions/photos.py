"""Community photos: shared with consent and a credit, approved by staff. Each picture
is decoded and encoded again without metadata (`core.pictures`), so a phone photo's
GPS position never reaches the disk, and a thumbnail is made the same way."""

from __future__ import annotations

import logging
import secrets
from io import BytesIO

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from frontdesk.community.actions.common import (
    CommunityError,
    log,
    require_can_post,
    require_moderator,
)
from frontdesk.community.actions.moderation import resolve_reports
from frontdesk.community.models import ModerationAction, Participant, Photo
from frontdesk.community.notify import POST_REJECTED, Notice, notify
from frontdesk.core.models import Membership
from frontdesk.core.pictures import (
    MAX_PIXELS,
    PICTURE_TYPES,
    encode_without_metadata,
    extension_for,
)

logger = logging.getLogger(__name__)

MAX_BYTES = 15 * 1024 * 1024
THUMBNAIL = (480, 480)
MAX_SIDE = 2400


def share_photo(
    participant: Participant,
    *,
    data: bytes,
    caption: str,
    credit: str,
    consent: bool,
) -> Photo:
    """Store a photo for staff to approve. Refused without consent to publish, without
    a credit, or when the bytes are not a picture (CommunityError)."""
    if not consent:
        raise CommunityError("Tick the box to let us publish your photo.", field="consent")
    credit = " ".join(credit.split())[:80]
    if not credit:
        raise CommunityError("Say how we should credit you.", field="credit")
    if len(data) > MAX_BYTES:
        raise CommunityError("That photo is too large (15 MB at most).", field="photo")
    require_can_post(participant)
    try:
        with Image.open(BytesIO(data)) as image:
            if (
                PICTURE_TYPES.get(image.format or "") is None
                or image.width * image.height > MAX_PIXELS
            ):
                raise CommunityError("Send a JPEG, PNG or WebP photo.", field="photo")
            image.load()
            full, content_type = encode_without_metadata(image, max_size=(MAX_SIDE, MAX_SIDE))
            small, small_type = encode_without_metadata(image, max_size=THUMBNAIL)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise CommunityError("That file is not a photo we can read.", field="photo") from None
    name = secrets.token_hex(8)
    photo = Photo(
        workspace_id=participant.workspace_id,
        participant=participant,
        content_type=content_type,
        caption=" ".join(caption.split())[:200],
        credit=credit,
        consent_at=timezone.now(),
    )
    photo.image.save(f"{name}{extension_for(content_type)}", ContentFile(full), save=False)
    photo.thumbnail.save(f"{name}-thumb{extension_for(small_type)}", ContentFile(small), save=False)
    photo.save()
    return photo


def decide_photo(photo: Photo, *, by: Membership, approve: bool, message: str = "") -> Photo:
    """Publish (approve) or reject a photo; logged. Rejecting deletes the picture and
    its thumbnail from storage once the decision commits (the row stays, for the log),
    and tells the photographer `message` through outreach if one is given. A rejected
    photo cannot be approved later: its files are gone."""
    require_moderator(by, photo.workspace_id)
    if approve and photo.status == Photo.Status.REJECTED:
        raise CommunityError(
            "That photo was rejected and its files deleted; ask the photographer to share "
            "it again.",
            code="photo_deleted",
        )
    message = message.strip()
    stored = [(f.storage, f.name) for f in (photo.image, photo.thumbnail) if f.name]
    with transaction.atomic():
        photo.status = Photo.Status.APPROVED if approve else Photo.Status.REJECTED
        photo.decided_by = by
        fields = ["status", "decided_by"]
        if not approve:
            photo.image.name = photo.thumbnail.name = ""
            fields += ["image", "thumbnail"]
        photo.save(update_fields=fields)
        resolve_reports(photo)
        entry = log(
            photo.workspace_id,
            ModerationAction.Kind.APPROVE if approve else ModerationAction.Kind.REJECT,
            by=by,
            participant=photo.participant,
            note=f"Photo {photo.pk}: {photo.caption or 'no caption'}"
            + (f" — {message}" if message and not approve else ""),
        )
        if not approve:
            # After commit: a rolled-back rejection must not have lost the picture.
            transaction.on_commit(lambda: _delete(stored))
            if message:
                notice = Notice(POST_REJECTED, ref=f"rejected{entry.pk}", item={"message": message})
                notify(photo.workspace, [photo.participant.contact_id], notice, by=by)
    return photo


def _delete(stored: list[tuple[Storage, str]]) -> None:
    for storage, name in stored:
        try:
            storage.delete(name)
        except OSError:  # already gone, or the disk refused: the row no longer names it
            logger.warning("photo file not deleted", extra={"file": name})
