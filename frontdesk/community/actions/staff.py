"""What staff do: ask a question, merge duplicates, set statuses, close a question
announcing the community's choice. All need the MODERATE capability."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from frontdesk.community.actions.common import CommunityError, log, require_moderator
from frontdesk.community.models import (
    Announcement,
    Choice,
    Comment,
    ModerationAction,
    Participant,
    PollVote,
    Question,
    QuestionKind,
    Suggestion,
    Visibility,
    Vote,
)
from frontdesk.community.notify import ANNOUNCEMENT, STATUS, Notice, notify, question_url
from frontdesk.core.models import Membership, Workspace


def create_question(
    workspace: Workspace,
    *,
    by: Membership,
    title: str,
    kind: str,
    body: str = "",
    choices: list[str] | None = None,
    closes_at: datetime | None = None,
) -> Question:
    """Ask the community a question; a poll needs at least two choices."""
    require_moderator(by, workspace.pk)
    title = " ".join(title.split())
    if not title:
        raise CommunityError("Write the question.", field="title")
    if kind not in QuestionKind.values:
        raise CommunityError("Choose what kind of answers you want.", field="kind")
    labels = [" ".join(c.split()) for c in choices or [] if c.strip()]
    if kind != QuestionKind.SUGGESTIONS and len(labels) < 2:
        raise CommunityError("A poll needs at least two answers, one a line.", field="choices")
    if closes_at is not None and closes_at <= timezone.now():
        raise CommunityError("The closing time is in the past.", field="closes_at")
    with transaction.atomic():
        # The per-workspace number: the workspace row is locked so two staff asking
        # at once get 7 and 8, not 7 twice.
        Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        top = Question.objects.for_workspace(workspace).aggregate(top=Max("number"))["top"] or 0
        question = Question.objects.create(
            workspace=workspace,
            number=top + 1,
            title=title[:200],
            body=body.strip(),
            kind=kind,
            closes_at=closes_at,
            created_by=by,
        )
        if kind != QuestionKind.SUGGESTIONS:
            Choice.objects.bulk_create(
                Choice(workspace=workspace, question=question, label=label[:160], position=i)
                for i, label in enumerate(labels)
            )
    return question


def merge_suggestions(duplicate: Suggestion, *, into: Suggestion, by: Membership) -> Suggestion:
    """Fold `duplicate` into `into`: its votes move over (a person who voted for both
    keeps one vote), its comments move over, and it is marked merged (its "flag
    this" reports stay with it: they are about its own text).
    Later votes for the duplicate land on `into` (see `posts.vote`)."""
    require_moderator(by, into.workspace_id)
    if duplicate.pk == into.pk:
        raise CommunityError("A suggestion cannot be merged with itself.")
    if duplicate.question_id != into.question_id or duplicate.workspace_id != into.workspace_id:
        raise CommunityError("Only suggestions on the same question can be merged.")
    if into.merged_into_id:
        raise CommunityError("That suggestion was itself merged; merge into the one it went to.")
    with transaction.atomic():
        rows = {
            s.pk: s
            for s in Suggestion.objects.select_for_update().filter(pk__in=[duplicate.pk, into.pk])
        }
        duplicate, into = rows[duplicate.pk], rows[into.pk]
        both = Vote.objects.filter(suggestion=into).values("participant_id")
        Vote.objects.filter(suggestion=duplicate, participant_id__in=both).delete()
        Vote.objects.filter(suggestion=duplicate).update(suggestion=into)
        Comment.objects.filter(suggestion=duplicate).update(suggestion=into)
        Suggestion.objects.filter(merged_into=duplicate).update(merged_into=into)
        duplicate.merged_into = into
        duplicate.save(update_fields=["merged_into"])
        log(
            into.workspace_id,
            ModerationAction.Kind.MERGE,
            by=by,
            suggestion=into,
            note=f"Merged “{duplicate.text}” (#{duplicate.pk}) into “{into.text}”.",
        )
    return into


def voters_of(suggestion: Suggestion) -> list[int]:
    """Contact ids of everyone who voted for the suggestion (after merges: one each)."""
    return list(
        Participant.objects.filter(votes__suggestion=suggestion)
        .values_list("contact_id", flat=True)
        .distinct()
    )


def set_suggestion_status(
    suggestion: Suggestion,
    *,
    by: Membership,
    status: str,
    reason: str = "",
    notify_voters: bool = True,
) -> Suggestion:
    """Move a suggestion to under review / planned / done / declined (a reason is
    needed to decline). Everyone who voted for it is told through outreach (queued
    with the change, sent after it commits)."""
    require_moderator(by, suggestion.workspace_id)
    if status not in Suggestion.Status.values:
        raise CommunityError("Choose a status.", field="status")
    reason = reason.strip()
    if status == Suggestion.Status.DECLINED and not reason:
        raise CommunityError("Say why it is declined: voters will read it.", field="reason")
    if suggestion.status == status and suggestion.status_reason == reason:
        return suggestion
    suggestion.status = status
    suggestion.status_reason = reason
    workspace = suggestion.workspace
    with transaction.atomic():
        suggestion.save(update_fields=["status", "status_reason"])
        entry = log(
            suggestion.workspace_id,
            ModerationAction.Kind.STATUS,
            by=by,
            suggestion=suggestion,
            note=f"{suggestion.get_status_display()}{': ' + reason if reason else ''}",
        )
        if notify_voters:
            notice = Notice(
                STATUS,
                ref=f"status{entry.pk}",
                item={
                    "suggestion": suggestion.text,
                    "status": suggestion.get_status_display().lower(),
                    "reason": reason,
                    "url": question_url(workspace, suggestion.question.number),
                },
            )
            notify(workspace, voters_of(suggestion), notice, by=by)
    return suggestion


# Up to this many participants are told within the closing request; more are left
# to the worker. Queueing is two bulk inserts per 500 people (app_notices.CHUNK).
NOTIFY_IN_REQUEST = 500


def participants_of(question: Question) -> set[int]:
    """Contact ids of everyone who suggested, voted or answered the poll."""
    return set(
        Participant.objects.filter(
            Q(votes__suggestion__question=question)
            | Q(poll_votes__question=question)
            | Q(suggestions__question=question)
        ).values_list("contact_id", flat=True)
    )


def _notify_participants(announcement: Announcement, contacts: set[int], *, by: Membership) -> int:
    question = announcement.question
    workspace = question.workspace
    label = (
        announcement.chosen_suggestion.text
        if announcement.chosen_suggestion is not None
        else announcement.chosen_choice.label
        if announcement.chosen_choice is not None
        else ""
    )
    notice = Notice(
        ANNOUNCEMENT,
        ref=f"announcement{announcement.pk}",
        item={
            "question": question.title,
            "choice": label,
            "credit": announcement.credit,
            "message": announcement.message,
            "url": question_url(workspace, question.number),
        },
    )
    queued = notify(workspace, contacts, notice, by=by)
    Announcement.objects.filter(pk=announcement.pk).update(
        notified=F("notified") + queued, notifying=False
    )
    announcement.refresh_from_db(fields=["notified", "notifying"])
    return queued


def _queue_in_worker(announcement: Announcement, by: Membership) -> None:
    from frontdesk.community import tasks

    tasks.notify_announcement(announcement.pk, by.pk)


def notify_announcement(announcement: Announcement, *, by: Membership) -> int:
    """Queue the announcement's notice for everyone who took part in its question
    (the worker's half of `close_question` for a large question). Each person's
    notice has its own id, so running this again (a retried task) queues nobody
    twice; `notified` grows by the notices this run queued, and `notifying` is
    cleared. Returns that number."""
    require_moderator(by, announcement.workspace_id)
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        return _notify_participants(locked, participants_of(locked.question), by=by)


def credit_line(voters: int, first: Participant | None) -> str:
    """“Chosen by 214 of you, first suggested by Sam”."""
    people = "1 of you" if voters == 1 else f"{voters} of you"
    line = f"Chosen by {people}"
    if first is not None:
        line += f", first suggested by {first.display_name}"
    return line


def close_question(
    question: Question,
    *,
    by: Membership,
    chosen_suggestion: Suggestion | None = None,
    chosen_choice: Choice | None = None,
    message: str = "",
    notify_participants: bool = False,
) -> Announcement:
    """Close a question announcing the community's choice, crediting its voters and
    the person who first suggested it (the earliest of it and its merged duplicates).
    With `notify_participants`, everyone who suggested or voted is told through
    outreach (`notified` counts the notices queued; sent after commit).
    """
    require_moderator(by, question.workspace_id)
    if (chosen_suggestion is None) == (chosen_choice is None):
        raise CommunityError("Choose the one suggestion or answer the community chose.")
    if hasattr(question, "announcement"):
        raise CommunityError("This question's choice is already announced.", code="announced")
    first: Participant | None = None
    if chosen_suggestion is not None:
        if chosen_suggestion.question_id != question.pk or chosen_suggestion.merged_into_id:
            raise CommunityError("Choose a suggestion made on this question.")
        voters = (
            Vote.objects.filter(suggestion=chosen_suggestion)
            .values("participant")
            .distinct()
            .count()
        )
        earliest = (
            Suggestion.objects.filter(Q(pk=chosen_suggestion.pk) | Q(merged_into=chosen_suggestion))
            .filter(visibility=Visibility.PUBLISHED)
            .order_by("created_at", "pk")
            .select_related("author")
            .first()
        )
        first = earliest.author if earliest else chosen_suggestion.author
    else:
        assert chosen_choice is not None
        if chosen_choice.question_id != question.pk:
            raise CommunityError("Choose one of this poll's answers.")
        voters = PollVote.objects.filter(question=question, choice=chosen_choice).count()
    credit = credit_line(voters, first)
    workspace = question.workspace
    with transaction.atomic():
        question.status = Question.Status.CLOSED
        question.closed_at = timezone.now()
        question.save(update_fields=["status", "closed_at"])
        announcement = Announcement.objects.create(
            workspace=workspace,
            question=question,
            chosen_suggestion=chosen_suggestion,
            chosen_choice=chosen_choice,
            message=message.strip(),
            credit=credit,
            voter_count=voters,
            first_suggested_by=first,
            created_by=by,
        )
        if chosen_suggestion is not None and chosen_suggestion.status in (
            Suggestion.Status.UNDER_REVIEW,
        ):
            chosen_suggestion.status = Suggestion.Status.PLANNED
            chosen_suggestion.save(update_fields=["status"])
        if notify_participants:
            contacts = participants_of(question)
            if len(contacts) > NOTIFY_IN_REQUEST:
                # Thousands of notices: the worker queues them (tasks.py), so the
                # close stays quick; `notifying` says so until it is done.
                announcement.notifying = True
                announcement.save(update_fields=["notifying"])
                transaction.on_commit(lambda: _queue_in_worker(announcement, by))
            else:
                _notify_participants(announcement, contacts, by=by)
    return announcement
