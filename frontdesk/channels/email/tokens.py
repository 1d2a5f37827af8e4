"""Per-conversation reply codes: in the Reply-To (desk+c42-…@), the text and the subject.

A code names a conversation by its id and carries an HMAC of it keyed by SECRET_KEY,
so nobody can make a valid code for a conversation they were not sent: guessing
needs 80 bits. The subject carries only the conversation's number ("[#42]"), which
is guessable; it is the weakest signal and, like every signal, counts only when the
sender belongs to the conversation.
"""

from __future__ import annotations

import base64
import re

from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "frontdesk.channels.email.reply-code"
CODE = re.compile(r"\bc(\d{1,12})-([a-z2-7]{16})\b")
MARKER = re.compile(r"\[ref (c\d{1,12}-[a-z2-7]{16})\]")
SUBJECT_NUMBER = re.compile(r"\[#(\d{1,9})\]")


def _signature(workspace_id: int, conversation_id: int) -> str:
    digest = salted_hmac(_SALT, f"{workspace_id}:{conversation_id}", algorithm="sha256").digest()
    return base64.b32encode(digest[:10]).decode().lower()


def code_for(workspace_id: int, conversation_id: int) -> str:
    return f"c{conversation_id}-{_signature(workspace_id, conversation_id)}"


def conversation_of(code: str, workspace_id: int) -> int | None:
    """The conversation id a code names, if its signature is right for this workspace."""
    match = CODE.fullmatch(code.strip().lower())
    if match is None:
        return None
    conversation_id = int(match.group(1))
    if not constant_time_compare(match.group(2), _signature(workspace_id, conversation_id)):
        return None
    return conversation_id


def reply_address(address: str, workspace_id: int, conversation_id: int) -> str:
    """desk@lib.example -> desk+c42-…@lib.example."""
    local, _, domain = address.strip().rpartition("@")
    local = local.split("+", 1)[0]
    return f"{local}+{code_for(workspace_id, conversation_id)}@{domain}"


def split_plus(address: str) -> tuple[str, str]:
    """("desk@lib.example", "c42-…") for desk+c42-…@lib.example; ("…", "") without a tag."""
    local, _, domain = address.strip().lower().rpartition("@")
    base, _, tag = local.partition("+")
    return f"{base}@{domain}", tag


def marker_for(workspace_id: int, conversation_id: int) -> str:
    return f"ref {code_for(workspace_id, conversation_id)}"
