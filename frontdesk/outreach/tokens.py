"""Signed links and reply codes of outreach messages.

Links (unsubscribe, preferences, subscription confirmation, the open pixel) carry a
delivery or subscription id signed with django.core.signing (SECRET_KEY, a salt per
purpose) and its signing time; each purpose has its own lifetime. A click link signs
the delivery id and its target URL together. A reply code in the
Reply-To's plus part (desk+o42-…@) names a delivery with an 80-bit HMAC, like the
email channel's conversation codes.
"""

from __future__ import annotations

import base64
import re
from datetime import timedelta

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

# Unsubscribe must keep working long after the mail was read (CAN-SPAM asks for 30
# days at least); a confirmation link is only for the days right after signing up.
LIFETIMES = {
    "unsubscribe": timedelta(days=365),
    "preferences": timedelta(days=365),
    "confirm": timedelta(days=7),
    # A sender's own From address, proved by a link mailed to it: soon after asking.
    "sender-address": timedelta(days=3),
    # Opens and clicks (only when the workspace tracks them): counted for about half a
    # year. An older click link still leads to its page, without being recorded
    # (`read_click`), so nobody following last spring's newsletter hits a dead end.
    "open": timedelta(days=180),
    "click": timedelta(days=180),
}
REPLY_CODE = re.compile(r"o(\d{1,12})-([a-z2-7]{16})")


class BadLink(Exception):
    """A link that was forged, altered or is too old."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def sign(purpose: str, value: int) -> str:
    if purpose not in LIFETIMES:
        raise ValueError(purpose)
    return signing.TimestampSigner(salt=f"frontdesk.outreach.{purpose}").sign(str(value))


def unsign(purpose: str, token: str) -> int:
    signer = signing.TimestampSigner(salt=f"frontdesk.outreach.{purpose}")
    try:
        return int(signer.unsign(token, max_age=LIFETIMES[purpose]))
    except signing.SignatureExpired as exc:
        raise BadLink("This link has expired.", expired=True) from exc
    except (signing.BadSignature, ValueError) as exc:
        raise BadLink("This link is not valid.") from exc


def sign_address(sender_id: int, address: str) -> str:
    """A link token proving `address` for sender identity `sender_id`. It names the
    address, so a link mailed to an old address cannot verify a newer one."""
    signer = signing.TimestampSigner(salt="frontdesk.outreach.sender-address")
    return signer.sign_object([sender_id, address])


def unsign_address(token: str) -> tuple[int, str]:
    """(sender id, address) of a `sign_address` token; BadLink if altered or old."""
    signer = signing.TimestampSigner(salt="frontdesk.outreach.sender-address")
    try:
        sender_id, address = signer.unsign_object(token, max_age=LIFETIMES["sender-address"])
    except signing.SignatureExpired as exc:
        raise BadLink("This link has expired.", expired=True) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise BadLink("This link is not valid.") from exc
    if not isinstance(sender_id, int) or not isinstance(address, str):
        raise BadLink("This link is not valid.")
    return sender_id, address


def sign_click(delivery_id: int, url: str) -> str:
    """A click link's token: the delivery and the address it leads to, both signed, so
    the redirect can only go where the message itself pointed (no open redirect)."""
    signer = signing.TimestampSigner(salt="frontdesk.outreach.click")
    return signer.sign_object([delivery_id, url], compress=True)


def read_click(token: str) -> tuple[int, str, bool]:
    """(delivery id, target URL, still within its lifetime) of a `sign_click` token.
    An authentic token past its lifetime still names its target (the caller shows
    it without recording anything); BadLink only for a forged or altered one."""
    signer = signing.TimestampSigner(salt="frontdesk.outreach.click")
    fresh = True
    try:
        value = signer.unsign_object(token, max_age=LIFETIMES["click"])
    except signing.SignatureExpired:
        fresh = False
        try:
            value = signer.unsign_object(token)
        except (signing.BadSignature, ValueError, TypeError) as exc:
            raise BadLink("This link is not valid.") from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise BadLink("This link is not valid.") from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or not isinstance(value[1], str)
    ):
        raise BadLink("This link is not valid.")
    return value[0], value[1], fresh


def _reply_signature(workspace_id: int, delivery_id: int) -> str:
    digest = salted_hmac(
        "frontdesk.outreach.reply-code", f"{workspace_id}:{delivery_id}", algorithm="sha256"
    ).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def reply_code(workspace_id: int, delivery_id: int) -> str:
    return f"o{delivery_id}-{_reply_signature(workspace_id, delivery_id)}"


def delivery_of(code: str, workspace_id: int) -> int | None:
    match = REPLY_CODE.fullmatch(code.strip().lower())
    if match is None:
        return None
    delivery_id = int(match.group(1))
    if not constant_time_compare(match.group(2), _reply_signature(workspace_id, delivery_id)):
        return None
    return delivery_id


def reply_address(address: str, workspace_id: int, delivery_id: int) -> str:
    local, _, domain = address.strip().rpartition("@")
    local = local.split("+", 1)[0]
    return f"{local}+{reply_code(workspace_id, delivery_id)}@{domain}"
