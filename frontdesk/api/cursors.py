"""Opaque keyset cursors for API lists: the sort key of the last row sent.

A page then costs one index range scan however deep it is, and rows added
meanwhile do not shift it.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from ninja.errors import HttpError

from frontdesk.core.http import parse_id


def encode_cursor(moment: datetime, pk: int) -> str:
    raw = json.dumps([moment.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Return (moment, pk), or answer 422 for a cursor this API did not give out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, pk = json.loads(raw)
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError("naive timestamp")
        number = parse_id(pk) if isinstance(pk, int) else None
        if number is None:
            raise ValueError("not an id")
        # In UTC, as the database compares it; year 1 at +14:00 has no UTC moment.
        return moment.astimezone(UTC), number
    except (binascii.Error, ValueError, TypeError, OverflowError):
        raise HttpError(422, "The cursor is not one this API gave out.") from None
