"""What an SMS channel does by itself after a customer's text is in the inbox.

Intake stores the text like any other message (it always lands in the inbox) and,
in the same transaction, runs `after_inbound` (registry.AFTER_INBOUND), so an
opt-out is recorded exactly when its text is; replies it queues are delivered after
commit by `deliver_message`. In order, the first that applies wins:

1. An opt-out word (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT):
   SMS consent revoked (source "SMS keyword STOP"), and a note in the conversation
   so staff see it. No reply: the carrier or Twilio confirms an opt-out itself, and
   after STOP nothing else may be sent (CTIA; Twilio blocks it with error 21610).
2. An opt-in word (START, UNSTOP; YES only while opted out, since "yes" is an
   ordinary answer otherwise): consent granted again and a short confirmation.
3. HELP or INFO: the channel's help text.
4. One of the channel's keywords (HOURS, ADDRESS, ...): its reply at once.
5. A text that starts a customer's wait in a conversation nobody has answered or
   acknowledged yet (the first text of a new conversation, or the first real
   question after texts a keyword settled, e.g. HOURS then "can I renew?"), when
   the channel acknowledges: the acknowledgement, or the after-hours text outside
   the workspace's business hours. It names the member already handling the
   conversation, else the channel's member on duty, and assigns the conversation
   to whoever it names (the promise is kept); with nobody to name it names nobody.

Nothing at all for a text from a short code or an alphanumeric sender ID ("72345",
"AMAZON"): they cannot be texted back, so the text is only shown to staff.

A keyword is recognised only when it is the whole message: case, surrounding space
and punctuation do not count, nor spaces or hyphens inside ("Stop.", " stop! ",
"STOP ALL", "opt-out"); "please don't stop the storytime" is a message, not an
opt-out. Twilio's own opt-out matching is similar; when it differs, Twilio refuses
the next send with 21610 and `deliver_message` records the opt-out then.

On a number where Twilio's default opt-out handling is on, Twilio also answers HELP
and START with its own text; turn that off (Advanced Opt-Out in a Messaging Service)
so customers get only the workspace's words.

Automatic replies are stored as replies marked `automatic` (shown as "Automatic
reply"), one per customer text at most, delivered by the same `deliver_message`
path, and never count as a person's first response. Keyword, HELP and opt-in/out
answers settle their text: it leaves no one waiting for a person
(`send_automatic_reply`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping

from django.db.models import Q

from frontdesk.channels.sms.models import SmsChannelConfig, SmsKeyword
from frontdesk.core import roles
from frontdesk.core.actions.contacts import set_consent
from frontdesk.core.models import (
    AUTOMATED_SENDER_KINDS,
    ConsentStatus,
    ConsentTopic,
    Membership,
)
from frontdesk.inbox import service_levels
from frontdesk.inbox.actions.replies import send_automatic_reply
from frontdesk.inbox.models import (
    ACKNOWLEDGING_AUTOMATIC_REASONS,
    AutomaticReason,
    Conversation,
    Message,
    MessageKind,
)

logger = logging.getLogger(__name__)

OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
# Opt-in only while the contact is opted out (Twilio resumes delivery on YES too).
OPT_IN_WHILE_OUT_WORDS = frozenset({"YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})
RESERVED_WORDS = OPT_OUT_WORDS | OPT_IN_WORDS | OPT_IN_WHILE_OUT_WORDS | HELP_WORDS

OPT_IN_CONFIRMATION = (
    "{workspace}: you will get our texts again. Reply HELP for help, STOP to stop."
)
# When no one is on duty (or named), a sentence that promises no name.
NEUTRAL_ACK_TEXT = "Thanks! Someone from {workspace} will text you back soon."
NEUTRAL_AFTER_HOURS_TEXT = (
    "Thanks for your text! {workspace} is closed right now; we will text you back when we open."
)
STAFF_VARIABLES = ("{staff_first_name}", "{staff_name}")

# A keyword is at most this long; a longer text is a message, not a keyword.
KEYWORD_MAX_LENGTH = 40
_INNER_GAPS = re.compile(r"[\s\-_]+")
_VARIABLE = re.compile(r"\{(\w+)\}")


def keyword_of(body: str) -> str | None:
    """The keyword a whole text amounts to, upper case, or None for an ordinary text.

    Leading and trailing punctuation, symbols and space are dropped, and spaces or
    hyphens inside ("STOP ALL", "opt-out"); anything else left must be letters or
    digits. "Stop." -> "STOP"; "please stop" -> "PLEASESTOP" (no keyword matches it).
    """
    # NFKC: a phone's full-width or styled letters ("ＳＴＯＰ") are the plain word.
    text = unicodedata.normalize("NFKC", body or "").strip()
    if not text or len(text) > KEYWORD_MAX_LENGTH:
        return None
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    word = _INNER_GAPS.sub("", text[start:end]).upper()
    if not word or not word.isalnum():
        return None
    return word


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace {name} for the names given; anything else in braces stays as written.

    Staff write these texts, so they are never run through str.format (whose
    attribute lookups a stray "{0.__class__}" would reach).
    """
    return _VARIABLE.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def after_inbound(message: int | Message, started_conversation: bool) -> Message | None:
    """React to one stored customer text on an SMS channel; see the module docstring.

    `message` is the stored message, or its id (then read here). Returns the
    automatic message it stored (a reply, or the opt-out note), or None. Safe to run
    twice: consent changes are no-ops the second time and a text gets at most one
    automatic message.
    """
    if isinstance(message, int):
        found = (
            Message.objects.select_related(
                "conversation__contact",
                "conversation__workspace",
                "conversation__channel",
                "inbound_event",
            )
            .filter(pk=message, kind=MessageKind.INCOMING)
            .first()
        )
        if found is None:
            return None
        message = found
    elif message.kind != MessageKind.INCOMING:
        return None
    event = message.inbound_event
    if event is not None and event.sender_kind in AUTOMATED_SENDER_KINDS:
        # A short code or sender ID ("AMAZON") cannot be texted back: no keyword
        # answer, no acknowledgement; the text is in the inbox for staff to read.
        return None
    conversation = message.conversation
    word = keyword_of(message.body)
    acknowledge = conversation.channel.auto_acknowledge and (
        started_conversation or _may_need_acknowledging(conversation, message)
    )
    if word is None and not acknowledge:
        # Most texts: no keyword, no acknowledgement due. Nothing to read or do.
        return None
    contact = conversation.contact
    values = {"workspace": conversation.workspace.name}

    if word in OPT_OUT_WORDS:
        return _opt_out(conversation, message, word)
    opted_out = contact.sms_consent == ConsentStatus.REVOKED
    if word in OPT_IN_WORDS or (word in OPT_IN_WHILE_OUT_WORDS and opted_out):
        set_consent(
            contact,
            topic=ConsentTopic.SMS,
            status=ConsentStatus.GRANTED,
            source=f"SMS keyword {word}",
            by=None,  # the customer, by text
        )
        return _answer(conversation, message, OPT_IN_CONFIRMATION, AutomaticReason.OPT_IN, values)
    if word in HELP_WORDS:
        config = _config(conversation)
        if config is None:
            return None
        return _answer(conversation, message, config.help_text, AutomaticReason.HELP, values)
    if opted_out:
        return None  # nothing else may be sent to a number that texted STOP
    if word:
        keyword = (
            SmsKeyword.objects.filter(
                channel_id=conversation.channel_id, keyword=word, is_active=True
            )
            .exclude(keyword__in=RESERVED_WORDS)
            .first()
        )
        if keyword is not None:
            return _answer(conversation, message, keyword.reply, AutomaticReason.KEYWORD, values)
    if acknowledge and (started_conversation or not _answered_or_acknowledged(conversation)):
        config = _config(conversation)
        if config is None:
            return None
        return _acknowledge(conversation, message, config)
    return None


def _may_need_acknowledging(conversation: Conversation, message: Message) -> bool:
    """Cheap first look (no query): this text started the customer's wait in a
    conversation no person has answered, so it may be the first real question after
    texts a keyword settled."""
    return conversation.first_response_at is None and conversation.waiting_since == (
        message.created_at
    )


def _answered_or_acknowledged(conversation: Conversation) -> bool:
    """Whether a person has written here (an answer, or the first text of a
    conversation staff started) or the customer was acknowledged already: one
    acknowledgement per conversation."""
    return (
        Message.objects.filter(conversation=conversation)
        .filter(
            Q(automatic__in=ACKNOWLEDGING_AUTOMATIC_REASONS)
            | Q(kind=MessageKind.REPLY, author__isnull=False)
        )
        .exists()
    )


def _config(conversation: Conversation) -> SmsChannelConfig | None:
    """The channel's SMS settings, read only when a reaction needs them (HELP, the
    acknowledgement): most texts need none, and a batch of them reads none."""
    config = (
        SmsChannelConfig.objects.filter(channel_id=conversation.channel_id)
        .select_related("on_duty")
        .first()
    )
    if config is None:
        logger.warning(
            "sms channel without configuration", extra={"channel": conversation.channel_id}
        )
    return config


def _answer(
    conversation: Conversation,
    trigger: Message,
    template: str,
    reason: str,
    values: Mapping[str, str],
) -> Message | None:
    return send_automatic_reply(
        conversation, body=fill(template, values), reason=reason, trigger=trigger
    )


def _opt_out(conversation: Conversation, message: Message, word: str) -> Message | None:
    contact = conversation.contact
    set_consent(
        contact,
        topic=ConsentTopic.SMS,
        status=ConsentStatus.REVOKED,
        source=f"SMS keyword {word}",
        by=None,  # the customer, by text
    )
    # Nothing to answer: the text asked us to stop, so it leaves no one waiting (the
    # opt-out note below settles it: send_automatic_reply).
    logger.info(
        "sms opt-out recorded",
        extra={"workspace": conversation.workspace_id, "contact": contact.pk, "word": word},
    )
    note = (
        f"Texted {word}: opted out of text messages. Frontdesk will not send texts to "
        "this number until they text START."
    )
    return send_automatic_reply(
        conversation, body=note, reason=AutomaticReason.OPT_OUT, trigger=message
    )


def _on_duty(conversation: Conversation, config: SmsChannelConfig) -> Membership | None:
    """Who the acknowledgement names: the member already handling the conversation
    (routing kept it with them), else the channel's on-duty member; only someone
    active in the workspace who answers customers. None when neither."""
    for member in (conversation.assignee, config.on_duty):
        if (
            member is not None
            and member.is_active
            and member.workspace_id == config.workspace_id
            and member.can(roles.REPLY)
        ):
            return member
    return None


def _acknowledge(
    conversation: Conversation, message: Message, config: SmsChannelConfig
) -> Message | None:
    workspace = conversation.workspace
    settings = service_levels.settings_or_defaults(workspace)
    is_open = service_levels.is_open_at(
        message.created_at,
        hours=settings.business_hours,
        zone=service_levels.workspace_zone(workspace),
    )
    template = config.auto_ack_text if is_open else config.after_hours_text
    reason = AutomaticReason.ACKNOWLEDGEMENT if is_open else AutomaticReason.AFTER_HOURS
    names_someone = any(variable in template for variable in STAFF_VARIABLES)
    member = _on_duty(conversation, config) if names_someone else None
    if names_someone and member is None:
        template = NEUTRAL_ACK_TEXT if is_open else NEUTRAL_AFTER_HOURS_TEXT
    values = {"workspace": workspace.name}
    if member is not None:
        values |= {"staff_first_name": member.first_name, "staff_name": member.display_name}
    # The person named takes the conversation: the customer was promised them.
    return send_automatic_reply(
        conversation,
        body=fill(template, values),
        reason=reason,
        trigger=message,
        responder=member,
    )
