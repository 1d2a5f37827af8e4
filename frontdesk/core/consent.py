"""Whether Frontdesk may contact someone on a topic: the one check every sender calls.

Consent is recorded per contact and topic (`Contact.sms_consent`, ...) through
`actions.contacts.set_consent`, which keeps the append-only ConsentChange trail.
Reading it goes through here, so staff replies, automatic replies and outreach
(later issues) all answer the same question the same way.
"""

from __future__ import annotations

from frontdesk.core.models import (
    ConsentChange,
    ConsentStatus,
    ConsentTopic,
    Contact,
    IdentityKind,
)

# The topic a message to an address of this kind falls under. Only text messages are
# gated for every message (a STOP covers all texts, by law and by carrier rule); an
# email reply to someone who wrote to us is not marketing, so email is not listed.
TOPIC_FOR_IDENTITY: dict[str, str] = {IdentityKind.PHONE: ConsentTopic.SMS}


def may_send(contact: Contact, topic: str) -> bool:
    """Whether anything may be sent to `contact` on `topic` (sms, email, community).

    False once they revoked it (texted STOP, or staff recorded an opt-out); "not
    asked" allows sending, since they wrote to us first. Reads the database, not the
    object passed in, so a STOP recorded a moment ago counts. Every feature that
    sends (staff replies in `inbox.actions.replies.deliver_message`, automatic
    replies, outreach campaigns) must call this right before handing a message to a
    provider; only HELP and START confirmations may ignore it (see
    `inbox.models.REPLIES_ALLOWED_AFTER_OPT_OUT`).
    """
    if topic not in ConsentTopic.values:
        raise ValueError(f"unknown consent topic {topic!r}")
    current = (
        Contact.objects.filter(pk=contact.pk).values_list(f"{topic}_consent", flat=True).first()
    )
    return current != ConsentStatus.REVOKED


def topic_for_identity_kind(kind: str) -> str | None:
    """The consent topic that gates every message to an address of this kind, if any."""
    return TOPIC_FOR_IDENTITY.get(kind)


def last_revocation(contact: Contact, topic: str) -> ConsentChange | None:
    """The change that revoked `topic`, while it stays revoked (for "opted out on …")."""
    if contact.consent_for(topic) != ConsentStatus.REVOKED:
        return None
    return (
        ConsentChange.objects.filter(contact=contact, topic=topic, status=ConsentStatus.REVOKED)
        .order_by("-created_at", "-id")
        .first()
    )
