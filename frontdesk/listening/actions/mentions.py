"""Acting on a mention: mark it seen or ignored, or reach out to its author."""

from __future__ import annotations

import logging
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from frontdesk.core.actions.contacts import ContactError, create_contact, resolve_contact
from frontdesk.core.models import Contact, IdentityKind, Membership
from frontdesk.inbox import actions as inbox_actions
from frontdesk.inbox import live as inbox_live
from frontdesk.inbox.models import Channel, Conversation, MessageKind
from frontdesk.listening import live
from frontdesk.listening.actions.common import ListeningError, require_to_act
from frontdesk.listening.actions.social import accounts_of
from frontdesk.listening.models import Mention, MentionStatus, SourceKind

logger = logging.getLogger(__name__)

# The identity a network's author handle is (a feed author is known by a web page).
HANDLE_KINDS = {
    SourceKind.MASTODON: IdentityKind.MASTODON,
    SourceKind.BLUESKY: IdentityKind.BLUESKY,
    SourceKind.REDDIT: IdentityKind.REDDIT,
    SourceKind.HACKERNEWS: IdentityKind.HACKERNEWS,
}
# A conversation needs a channel: for an author with an email address, the email
# channel; for one known only by a handle, a note-only conversation on the first of
# these (nothing is sent through it: the composer says they cannot be reached).
CHANNEL_PREFERENCE = ("email", "webform")
SETTABLE = (MentionStatus.NEW, MentionStatus.SEEN, MentionStatus.IGNORED)


def set_mention_status(mention: Mention, status: str, *, by: Membership) -> Mention:
    """Mark a mention new, seen or ignored ("reached out" comes from `reach_out`).

    Ignored mentions teach the watch's suggested exclusions. Publishes
    `listening.mention` so other open pages redraw the row."""
    require_to_act(by, mention.workspace_id)
    if status not in SETTABLE:
        raise ListeningError("A mention can be marked new, seen or ignored.")
    if mention.status == MentionStatus.REACHED_OUT and status != MentionStatus.REACHED_OUT:
        raise ListeningError(
            "Someone already reached out about this mention: see its conversation.",
            code="reached_out",
        )
    with transaction.atomic():
        Mention.objects.filter(pk=mention.pk).update(
            status=status, status_changed_at=timezone.now(), status_by=by
        )
        mention.refresh_from_db()
        live.mention_changed(mention)
    return mention


def _topic(mention: Mention, limit: int = 80) -> str:
    if mention.title:
        title = mention.title.strip()
        return f"“{title[:limit]}{'…' if len(title) > limit else ''}”"
    words = (mention.excerpt or mention.text).split()
    if not words:
        return "us"
    count = 10 if limit >= 80 else 6
    short = " ".join(words[:count])[:limit]
    return f"“{short}{'…' if len(words) > count else ''}”"


def _middle(mention: Mention) -> str:
    if mention.sentiment_label == "negative":
        return (
            "I'm sorry it didn't go well. I'd like to help put it right: could you tell "
            "me a little more about what happened?"
        )
    if mention.needs_reply:
        return "I'd be glad to help with your question: here is what I can tell you."
    if mention.sentiment_label == "positive":
        return "Thank you for the kind words — it means a lot to the team."
    return "If there is anything we can help with, I'm happy to."


def first_contact_draft(mention: Mention, me: Membership, *, short: bool = False) -> str:
    """A polite first message from `me` to the author, to edit before sending.

    `short`: a reply posted from `me`'s own account on the network (no sign-off: it
    is from them; within Bluesky's 300 characters)."""
    first = mention.author_name.split()[0] if mention.author_name.split() else ""
    where = mention.source.get_kind_display().split(" (")[0]
    if short:
        for limit in (60, 30):
            text = (
                f"Hi {first or 'there'} — I'm {me.display_name} from {mention.workspace.name}. "
                f"I saw your post about {_topic(mention, limit)}. {_middle(mention)}"
            )
            if len(text) <= 280:
                break
        return text
    greeting = f"Hi {first}," if first else "Hello,"
    intro = (
        f"I'm {me.display_name} from {mention.workspace.name} — I saw your post about "
        f"{_topic(mention)} on {where}."
    )
    return f"{greeting}\n\n{intro} {_middle(mention)}\n\n{me.display_name}"


def _contact_for(mention: Mention, by: Membership) -> tuple[Contact, bool]:
    """The author as a contact: by email if known, else by their handle or page."""
    workspace = mention.workspace
    name = mention.author_name or mention.author_handle
    tries: list[tuple[str, str]] = []
    if mention.author_email:
        tries.append((IdentityKind.EMAIL, mention.author_email))
    kind = HANDLE_KINDS.get(mention.source.kind)  # type: ignore[call-overload]
    if kind and mention.author_handle:
        tries.append((kind, mention.author_handle))
    if mention.author_url:
        tries.append((IdentityKind.WEB, mention.author_url))
    for identity_kind, value in tries:
        try:
            contact, _ = resolve_contact(
                workspace, kind=identity_kind, value=value, name=name, by=by
            )
        except (ValidationError, ContactError):
            continue
        return contact, identity_kind == IdentityKind.EMAIL
    return create_contact(workspace, by=by, name=name[:160] or "Author of a mention"), False


def _channel_for(mention: Mention, *, email: bool) -> Channel:
    channels = list(Channel.objects.for_workspace(mention.workspace).filter(is_active=True))
    order = CHANNEL_PREFERENCE if email else (*CHANNEL_PREFERENCE[::-1],)
    for kind in order:
        for channel in channels:
            if channel.kind == kind:
                return channel
    if channels:
        return channels[0]
    raise ListeningError(
        "Add a channel (email or web form) first: a conversation lives on a channel."
    )


def reach_out(mention: Mention, *, by: Membership) -> Conversation:
    """Turn a mention into a conversation with its author, for a person to continue.

    The author becomes a contact (by email if the post gave one, else by their
    handle or web page); the conversation is on the email channel when there is an
    address, otherwise a note-only one. Its first entry is a private note: where the
    post is and what it said; a polite first-contact draft waits in `by`'s composer
    to edit and send (on Mastodon or Bluesky, when `by` connected their own account
    there, a short one to post as a reply from it). Nothing is sent and nothing is
    posted. Calling it again returns the same conversation (with a draft for `by`
    when nobody has replied yet).
    """
    require_to_act(by, mention.workspace_id)
    # The member's own account on the post's network, unless the author gave an email.
    own = None if mention.author_email else accounts_of(by).get(mention.source.kind)
    draft = first_contact_draft(mention, by, short=own is not None)
    with transaction.atomic():
        locked = Mention.objects.select_for_update().get(pk=mention.pk)
        if locked.conversation_id is not None:
            conversation = Conversation.objects.get(pk=locked.conversation_id)
            # A colleague reaching out too, before anyone wrote: a draft in their name.
            answered = conversation.messages.filter(kind=MessageKind.REPLY).exists()
            if not answered and not inbox_actions.draft_for(conversation, by):
                inbox_actions.save_draft(conversation, body=draft, by=by)
            return conversation
        contact, by_email = _contact_for(mention, by)
        channel = _channel_for(mention, email=by_email)
        title = mention.title or mention.excerpt[:80] or "a post"
        conversation = inbox_actions.start_conversation(
            mention.workspace, contact=contact, channel=channel, subject=f"About: {title}"[:255]
        )
        quote = re.sub(r"\s+", " ", mention.excerpt or mention.text)[:600]
        if by_email:
            how = f"Reply by email to {mention.author_email}."
        elif own is not None:
            how = (
                f"Reply as {own.handle} on {own.get_network_display()} from the composer: "
                "it is posted only when you press Send."
            )
        else:
            how = (
                f"No email address is known: reach {mention.author_label} where they posted "
                "(never automatically), or add their address on the contact page."
            )
        inbox_actions.add_note(
            conversation,
            body=(
                f"From listening — {mention.author_label} on {mention.source.label}:\n"
                f"{mention.url}\n\n> {quote}\n\n{how}\n\n"
                f"Suggested first message (in {by.display_name}'s composer):\n\n{draft}"
            ),
            by=by,
        )
        # In the composer, unsent: the person who reached out edits and sends it.
        inbox_actions.save_draft(conversation, body=draft, by=by)
        Mention.objects.filter(pk=mention.pk).update(
            conversation=conversation,
            status=MentionStatus.REACHED_OUT,
            status_changed_at=timezone.now(),
            status_by=by,
        )
        mention.refresh_from_db()
        inbox_live.conversation_changed(conversation, created=True)
        live.mention_changed(mention)
    logger.info(
        "reached out from a mention",
        extra={"mention": mention.pk, "conversation": conversation.pk},
    )
    return conversation
