"""What customers do: suggest, vote, comment, flag (any published item). Each takes the signed-in
`Participant`; posts pass `require_can_post` (bans, rate limit) and `screen`
(triage's abuse flag, spam), which may hold them for review instead of publishing."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from frontdesk.community.actions.common import (
    CommunityError,
    create_screened_post,
    log,
    require_staff_voice,
)
from frontdesk.community.models import (
    Answer,
    Choice,
    Comment,
    FanQuestion,
    ModerationAction,
    Participant,
    Photo,
    PollVote,
    Question,
    Report,
    Suggestion,
    Visibility,
    Vote,
)
from frontdesk.core.models import Membership

TEXT_LENGTH = 200
BODY_LENGTH = 4000
REPORTS_TO_HOLD = 3
# The reasons the public "Flag this" offers (the last one is the fallback).
FLAG_REASONS = (
    "Rude, abusive or hateful",
    "Spam or advertising",
    "Someone's private information",
    "Not about the library",
    "Something else",
)


def _require_open(question: Question) -> None:
    if not question.is_open():
        raise CommunityError("This question is closed.", code="closed")


def _same_workspace(participant: Participant, workspace_id: int) -> None:
    if participant.workspace_id != workspace_id:
        raise CommunityError("That belongs to another community.", code="other_workspace")


def suggest(
    question: Question, *, participant: Participant, text: str, details: str = ""
) -> Suggestion:
    """Post a suggestion. Published at once, or held for review with the reason when
    triage flags it as abusive or it looks like spam (the author is told so)."""
    _same_workspace(participant, question.workspace_id)
    text = " ".join(text.split())
    details = details.strip()
    if not text:
        raise CommunityError("Write your suggestion first.", field="text")
    if len(text) > TEXT_LENGTH:
        raise CommunityError(f"Keep it under {TEXT_LENGTH} characters.", field="text")
    if len(details) > BODY_LENGTH:
        raise CommunityError(f"Keep the details under {BODY_LENGTH} characters.", field="details")
    if not question.takes_suggestions:
        raise CommunityError("This question is a poll: pick one of its answers.")
    _require_open(question)
    return create_screened_post(
        Suggestion,
        participant=participant,
        screened=f"{text}\n{details}",
        workspace_id=question.workspace_id,
        question=question,
        text=text,
        details=details,
    )


def _merged_into_id(suggestion_pk: int) -> int | None:
    """Read whether the suggestion was merged, holding its row against a merge until
    this transaction ends. On PostgreSQL the read takes a FOR KEY SHARE lock: votes do
    not wait for one another, but a merge (FOR UPDATE on both rows) waits for this
    vote to commit and then moves it, and a vote arriving while a merge holds the row
    waits for it and then reads the row as merged. (The vote's foreign key cannot be
    relied on for this: Django's are checked only at commit.) SQLite has one writer
    at a time, so a plain read is enough there."""
    if connection.vendor != "postgresql":
        return (
            Suggestion.objects.filter(pk=suggestion_pk)
            .values_list("merged_into_id", flat=True)
            .get()
        )
    table = connection.ops.quote_name(Suggestion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT merged_into_id FROM {table} WHERE id = %s FOR KEY SHARE",  # noqa: S608 - our names
            [suggestion_pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise Suggestion.DoesNotExist
    merged_into_id: int | None = row[0]
    return merged_into_id


def vote(suggestion: Suggestion, *, participant: Participant) -> tuple[Vote, bool]:
    """Vote for a suggestion (or the one it was merged into). Returns (vote, created):
    a second vote, even two racing requests, leaves the one vote there is, and a
    vote racing a merge ends on the merge's target, once (see `_merged_into_id`)."""
    _same_workspace(participant, suggestion.workspace_id)
    for _attempt in range(4):
        if suggestion.merged_into_id:
            suggestion = Suggestion.objects.get(pk=suggestion.merged_into_id)
        if suggestion.visibility != Visibility.PUBLISHED:
            raise CommunityError("This suggestion is not open for votes.")
        _require_open(suggestion.question)
        try:
            with transaction.atomic():
                into_id = _merged_into_id(suggestion.pk)
                if into_id is None:
                    made = Vote.objects.create(
                        workspace_id=suggestion.workspace_id,
                        participant=participant,
                        suggestion=suggestion,
                    )
                    return made, True
        except IntegrityError:
            return Vote.objects.get(participant=participant, suggestion=suggestion), False
        suggestion.merged_into_id = into_id
    raise CommunityError("This suggestion just changed; please vote again.")


def unvote(suggestion: Suggestion, *, participant: Participant) -> bool:
    """Take one's vote back (while the question is open). True if there was one."""
    _same_workspace(participant, suggestion.workspace_id)
    _require_open(suggestion.question)
    deleted, _ = Vote.objects.filter(participant=participant, suggestion=suggestion).delete()
    return bool(deleted)


def vote_in_poll(question: Question, *, participant: Participant, choice: Choice) -> PollVote:
    """Pick one answer of a poll; picking again changes the answer (still one vote)."""
    _same_workspace(participant, question.workspace_id)
    if choice.question_id != question.pk or not question.is_poll:
        raise CommunityError("That is not an answer to this poll.", field="choice")
    _require_open(question)
    try:
        with transaction.atomic():
            return PollVote.objects.create(
                workspace_id=question.workspace_id,
                participant=participant,
                question=question,
                choice=choice,
            )
    except IntegrityError:
        existing = PollVote.objects.get(participant=participant, question=question)
        if existing.choice_id != choice.pk:
            existing.choice = choice
            existing.save(update_fields=["choice"])
        return existing


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise CommunityError("Write something first.", field="body")
    if len(body) > BODY_LENGTH:
        raise CommunityError(f"Keep it under {BODY_LENGTH} characters.", field="body")
    return body


def _check_parent(suggestion: Suggestion, parent: Comment | None) -> None:
    if parent is not None and parent.suggestion_id != suggestion.pk:
        raise CommunityError("You can only reply to a comment on this suggestion.")


def comment(
    suggestion: Suggestion, *, participant: Participant, body: str, parent: Comment | None = None
) -> Comment:
    """Comment on a suggestion, or reply to a comment; screened like a suggestion."""
    _same_workspace(participant, suggestion.workspace_id)
    body = _clean_body(body)
    _check_parent(suggestion, parent)
    if suggestion.visibility != Visibility.PUBLISHED:
        raise CommunityError("This suggestion is not open for comments.")
    return create_screened_post(
        Comment,
        participant=participant,
        screened=body,
        workspace_id=suggestion.workspace_id,
        suggestion=suggestion,
        parent=parent,
        body=body,
    )


def staff_comment(
    suggestion: Suggestion, *, by: Membership, body: str, parent: Comment | None = None
) -> Comment:
    """A staff member's comment, shown as staff with their name; never held."""
    require_staff_voice(by, suggestion.workspace_id)
    body = _clean_body(body)
    _check_parent(suggestion, parent)
    return Comment.objects.create(
        workspace_id=suggestion.workspace_id,
        suggestion=suggestion,
        parent=parent,
        staff_author=by,
        body=body,
    )


Flaggable = Suggestion | Comment | FanQuestion | Answer | Photo
_REPORT_FIELD: dict[type, str] = {
    Suggestion: "suggestion",
    Comment: "comment",
    FanQuestion: "fan_question",
    Answer: "answer",
    Photo: "photo",
}


def _is_public(target: Flaggable) -> bool:
    if isinstance(target, Photo):
        return target.status == Photo.Status.APPROVED
    return target.visibility == Visibility.PUBLISHED


def _hold_flagged(target: Flaggable, reason: str) -> None:
    """Take a published item off the public pages into the review queue: a post is
    held, a photo goes back to waiting for approval; logged as an automatic hold."""
    participant: Participant | None
    if isinstance(target, Photo):
        target.status = Photo.Status.PENDING
        target.hold_reason = reason
        target.save(update_fields=["status", "hold_reason"])
        participant = target.participant
        note = f"Photo {target.pk}: {target.caption or 'no caption'} — {reason}"
    else:
        target.visibility = Visibility.HELD
        target.hold_reason = reason
        target.save(update_fields=["visibility", "hold_reason"])
        participant = target.author
        note = reason
        if isinstance(target, FanQuestion):
            note = f"Question “{target.title}”: {reason}"
        elif isinstance(target, Answer):
            note = f"Answer “{target.body[:80]}”: {reason}"
    log(
        target.workspace_id,
        ModerationAction.Kind.HOLD,
        by=None,
        participant=participant,
        suggestion=target if isinstance(target, Suggestion) else None,
        comment=target if isinstance(target, Comment) else None,
        note=note,
    )


def report(
    *,
    participant: Participant,
    reason: str,
    suggestion: Suggestion | None = None,
    comment: Comment | None = None,
    fan_question: FanQuestion | None = None,
    answer: Answer | None = None,
    photo: Photo | None = None,
) -> Report:
    """ "Flag this": a customer reports a published suggestion, comment, fan question,
    answer or photo (exactly one). Reporting twice keeps one report; REPORTS_TO_HOLD
    different people's open reports hold the item for review (a photo goes back to
    waiting for approval). The item's row is locked meanwhile, so reports arriving
    together are counted one after another and the hold is logged once."""
    given = [t for t in (suggestion, comment, fan_question, answer, photo) if t is not None]
    if len(given) != 1:
        raise CommunityError("Flag one post at a time.")
    target = given[0]
    _same_workspace(participant, target.workspace_id)
    reason = " ".join(reason.split())[:300] or "No reason given"
    field = _REPORT_FIELD[type(target)]
    lookup = {field: target}
    with transaction.atomic():
        target = type(target).objects.select_for_update().get(pk=target.pk)
        made, _ = Report.objects.get_or_create(
            workspace_id=target.workspace_id,
            reporter=participant,
            **lookup,
            defaults={"reason": reason},
        )
        open_reports = Report.objects.filter(resolved_at__isnull=True, **lookup).count()
        if open_reports >= REPORTS_TO_HOLD and _is_public(target):
            _hold_flagged(target, f"Held after {open_reports} people flagged it.")
    return made


def touch(participant: Participant) -> None:
    Participant.objects.filter(pk=participant.pk).update(last_seen_at=timezone.now())
