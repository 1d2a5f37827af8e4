"""Idempotency for the form: a double click, a refresh or a resend stores one message.

Each rendered form carries a signed key (a server-generated UUID, signed with the
SECRET_KEY and the workspace, valid for KEY_MAX_AGE). The stored event's provider
message id is a UUID derived from that key and the submission's content, so:
- the same form sent twice with the same content gets the same id, which intake
  stores once (unique per channel and provider id);
- a customer who goes back, edits and sends again gets a new id (new content);
- a page a proxy cached for many visitors, sharing one key, still cannot merge two
  different people's messages into one.
A key that is missing, forged or expired is not trusted: the form comes back with a
fresh key and everything the customer typed, and asks them to send again.
"""

from __future__ import annotations

import hashlib
import uuid

from django.core import signing

from frontdesk.core.models import Workspace

KEY_MAX_AGE = 2 * 24 * 60 * 60  # seconds: a form left open over a weekend still works
_SALT = "frontdesk.webform.submission"


def new_key(workspace: Workspace) -> str:
    """A fresh signed key for one rendering of the workspace's form."""
    return signing.dumps(uuid.uuid4().hex, salt=f"{_SALT}:{workspace.pk}", compress=False)


def read_key(workspace: Workspace, signed: str | None) -> uuid.UUID | None:
    """The UUID inside a key this server signed for this workspace, or None."""
    if not signed:
        return None
    try:
        value = signing.loads(signed, salt=f"{_SALT}:{workspace.pk}", max_age=KEY_MAX_AGE)
        return uuid.UUID(hex=str(value))
    except (signing.BadSignature, ValueError):
        return None


def submission_id(key: uuid.UUID, *parts: str | bytes) -> str:
    """The provider message id of one submission: the key combined with its content."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        # Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        digest.update(len(data).to_bytes(8, "big") + data)
    return str(uuid.uuid5(key, digest.hexdigest()))
