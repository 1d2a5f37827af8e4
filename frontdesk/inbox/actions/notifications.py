"""Telling one staff member something: in the app, and by email if they chose to."""

from __future__ import annotations

import logging
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from frontdesk.core.models import Membership
from frontdesk.inbox.live import publish_after_commit
from frontdesk.inbox.models import Conversation, Message, Notification, NotificationKind

logger = logging.getLogger(__name__)


def notify(
    recipient: Membership,
    *,
    kind: str,
    conversation: Conversation,
    actor: Membership | None,
    message: Message | None = None,
) -> Notification | None:
    """Record a notification for `recipient` and, after commit, email them if they want.

    Nobody is notified of their own doing, and inactive members are not notified.
    Call inside the action's transaction.
    """
    if not recipient.is_active or (actor is not None and actor.pk == recipient.pk):
        return None
    notification = Notification.objects.create(
        workspace_id=conversation.workspace_id,
        recipient=recipient,
        kind=kind,
        conversation=conversation,
        message=message,
        actor=actor,
    )
    publish_after_commit(
        conversation.workspace_id,
        "notification.created",
        {"notification": notification.pk, "kind": kind, "conversation": conversation.number},
        membership_id=recipient.pk,
    )
    if recipient.notify_by_email:
        transaction.on_commit(lambda: _enqueue_email(notification.pk))
    return notification


def _enqueue_email(notification_id: int) -> None:
    from frontdesk.inbox import tasks

    tasks.send_notification_email(notification_id)


def conversation_url(conversation: Conversation) -> str:
    """An absolute link to the conversation for emails (on the configured public URL)."""
    slug = conversation.workspace.slug
    try:
        path = reverse("inbox:conversation", kwargs={"ws": slug, "number": conversation.number})
    except NoReverseMatch:  # TODO(issue 13, pages): the conversation page is not routed yet
        path = reverse("core:home", kwargs={"ws": slug})
    return settings.PUBLIC_BASE_URL + path


def send_notification_email(notification_id: int) -> bool:
    """Email one notification to its recipient, once. Returns whether it was sent."""
    notification = (
        Notification.objects.select_related(
            "recipient__user",
            "actor",
            "conversation__contact",
            "conversation__workspace",
            "message",
        )
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if notification is None or not notification.recipient.notify_by_email:
        return False
    # Claim before sending, so a task that runs twice emails once.
    claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    conversation = notification.conversation
    actor = notification.actor.display_name if notification.actor else "Frontdesk"
    customer = conversation.contact.display_name
    if notification.kind == NotificationKind.ASSIGNED:
        subject = f"{actor} assigned you conversation {conversation.number} ({customer})"
        lead = f"{actor} assigned you the conversation with {customer}."
    else:
        subject = f"{actor} mentioned you in conversation {conversation.number} ({customer})"
        lead = f"{actor} mentioned you in a note on the conversation with {customer}:"
    lines = [f"Hi {notification.recipient.first_name},", "", lead]
    if notification.message is not None:
        lines += ["", *(f"> {line}" for line in notification.message.body.splitlines())]
    lines += [
        "",
        f"Open it: {conversation_url(conversation)}",
        "",
        "You get these emails because “Email me when a conversation is assigned to me or I "
        "am mentioned” is on in your profile.",
    ]
    _, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    email = EmailMessage(
        subject=subject,
        body="\n".join(lines) + "\n",
        from_email=formataddr((f"{actor} via Frontdesk", from_address)),
        to=[notification.recipient.user.email],
    )
    try:
        email.send()
    except Exception:
        # The in-app notification stands; an email is a courtesy on top of it.
        logger.exception("notification email failed", extra={"notification": notification.pk})
        return False
    return True


def mark_notifications_read(member: Membership, *, ids: list[int] | None = None) -> int:
    """Mark the member's notifications read (all unread, or just `ids`); returns how many."""
    unread = Notification.objects.filter(
        workspace_id=member.workspace_id, recipient=member, read_at__isnull=True
    )
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
