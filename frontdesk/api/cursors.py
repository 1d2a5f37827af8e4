"""Opaque keyset cursors for API lists: the sort key of the last row sent.

A page then costs one index range scan however deep it is, and rows added
meanwhile do not shift it.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from ninja.errors import HttpError


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
        return moment, int(pk)
    except (binascii.Error, ValueError, TypeError):
        raise HttpError(422, "The cursor is not one this API gave out.") from None
