"""Which conversation an incoming mail continues: the email kind's `find_thread` hook.

Signals, strongest first (the first that names a conversation the sender belongs to
wins, and is recorded on the mail's EmailDetail for staff to see):

1. In-Reply-To, then References (newest first): a message of ours or of the
   conversation's with that Message-ID.
2. A per-conversation reply address among the recipients (desk+c42-…@), checked by
   its HMAC (tokens.py).
3. The reference in the text ("[ref c42-…]", kept in quoted history), same check.
4. The conversation number in the subject ("[#42]").

The sender must be the conversation's contact or one of its participants (people
CC'd before): a Message-ID is public to everyone who got the mail and easily forged,
so it never lets a stranger's mail into someone else's conversation. With no signal,
intake's usual threading applies (the contact's open conversation on the channel).
"""

from __future__ import annotations

from typing import Any

from frontdesk.channels.email import tokens
from frontdesk.channels.email.models import EmailDetail, EmailParticipant, ThreadSignal
from frontdesk.core.models import Contact
from frontdesk.inbox.models import Conversation, InboundEvent, Message
from frontdesk.outreach.replies import conversation_for_reply


def _belongs(conversation_id: int, workspace_id: int, contact: Contact, sender: str) -> bool:
    owner = (
        Conversation.objects.filter(pk=conversation_id, workspace_id=workspace_id)
        .values_list("contact_id", flat=True)
        .first()
    )
    if owner is None:
        return False
    if owner == contact.pk:
        return True
    return EmailParticipant.objects.filter(conversation_id=conversation_id, address=sender).exists()


def _by_headers(detail: EmailDetail, workspace_id: int) -> list[int]:
    wanted = [detail.in_reply_to, *reversed(detail.references)]
    ids = [i for i in dict.fromkeys(w.strip() for w in wanted) if i]
    if not ids:
        return []
    found: dict[str, int] = {}
    for message_id, conversation_id in Message.objects.filter(
        workspace_id=workspace_id, provider_message_id__in=ids
    ).values_list("provider_message_id", "conversation_id"):
        found.setdefault(str(message_id), conversation_id)
    for message_id, conversation_id in (
        EmailDetail.objects.filter(
            workspace_id=workspace_id, header_message_id__in=ids, message__isnull=False
        )
        .exclude(pk=detail.pk)
        .values_list("header_message_id", "message__conversation_id")
    ):
        found.setdefault(message_id, conversation_id)
    return [found[i] for i in ids if i in found]


def candidates(detail: EmailDetail, row: InboundEvent) -> list[tuple[int, str]]:
    """(conversation id, signal) in order of strength, before the sender check."""
    workspace_id = row.workspace_id
    found: list[tuple[int, str]] = [
        (c, ThreadSignal.HEADERS) for c in _by_headers(detail, workspace_id)
    ]
    for address in detail.recipients or []:
        _base, tag = tokens.split_plus(str(address))
        conversation_id = tokens.conversation_of(tag, workspace_id) if tag else None
        if conversation_id:
            found.append((conversation_id, ThreadSignal.REPLY_ADDRESS))
    for code in tokens.MARKER.findall(detail.body_text_full or row.body):
        conversation_id = tokens.conversation_of(code, workspace_id)
        if conversation_id:
            found.append((conversation_id, ThreadSignal.BODY_MARKER))
    number = tokens.SUBJECT_NUMBER.search(row.subject or "")
    if number:
        conversation_id = (
            Conversation.objects.filter(workspace_id=workspace_id, number=int(number.group(1)))
            .values_list("pk", flat=True)
            .first()
        )
        if conversation_id:
            found.append((conversation_id, ThreadSignal.SUBJECT_NUMBER))
    return found


def find_thread(row: InboundEvent, contact: Any) -> int | None:
    """The email kind's find_thread hook (see the module docstring)."""
    detail = EmailDetail.objects.filter(event_id=row.pk).first()
    if detail is None:
        return None
    sender = row.sender_address.strip().lower()
    checked: set[int] = set()
    for conversation_id, signal in candidates(detail, row):
        if conversation_id in checked:
            continue
        checked.add(conversation_id)
        if _belongs(conversation_id, row.workspace_id, contact, sender):
            EmailDetail.objects.filter(pk=detail.pk).update(thread_signal=signal)
            return conversation_id
    # An answer to an outreach message (desk+o42-…@ or its Message-ID): a
    # conversation of its own, assigned to the person who sent it.
    return conversation_for_reply(
        row.workspace_id,
        contact,
        row.channel,
        tags=[tokens.split_plus(str(address))[1] for address in detail.recipients or []],
        message_ids=[detail.in_reply_to, *reversed(detail.references or [])],
        subject=row.subject,
        received_at=row.received_at,
    )


# What staff read on a customer's mail in the conversation (the `message_notes` hook).
SIGNAL_NOTES: dict[str, str] = {
    ThreadSignal.HEADERS: "Threaded by In-Reply-To / References",
    ThreadSignal.REPLY_ADDRESS: "Threaded by the conversation's reply address",
    ThreadSignal.BODY_MARKER: "Threaded by the reference in the quoted text",
    ThreadSignal.SUBJECT_NUMBER: "Threaded by the conversation number in the subject",
    ThreadSignal.CONTACT: "Joined the sender's open conversation",
    ThreadSignal.MOVED: "Moved here by staff",
}
NEW_CONVERSATION_NOTE = "Started a new conversation"


def message_notes(messages: list[Any]) -> dict[int, str]:
    """The email kind's message_notes hook: which threading signal placed each of
    these customer mails (one query)."""
    incoming = [m.pk for m in messages if m.kind == "incoming"]
    if not incoming:
        return {}
    found = EmailDetail.objects.filter(message_id__in=incoming).values_list(
        "message_id", "thread_signal"
    )
    return {
        int(message_id): SIGNAL_NOTES.get(signal, NEW_CONVERSATION_NOTE)
        for message_id, signal in found
        if message_id is not None
    }
