"""Community reads, each taking the workspace first."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404

from frontdesk.community import similarity
from frontdesk.community.models import (
    Announcement,
    Answer,
    Comment,
    FanQuestion,
    Participant,
    Photo,
    PollVote,
    Question,
    Report,
    Suggestion,
    Visibility,
    Vote,
)
from frontdesk.core.models import Workspace

SESSION_KEY = "community_participant"


def public_workspace(slug: str) -> Workspace:
    return get_object_or_404(Workspace, slug=slug)


def current_participant(request: HttpRequest, workspace: Workspace) -> Participant | None:
    """The participant signed in to this workspace's community in this session."""
    signed_in = request.session.get(SESSION_KEY) or {}
    pk = signed_in.get(str(workspace.pk)) if isinstance(signed_in, dict) else None
    if not pk:
        return None
    return Participant.objects.for_workspace(workspace).filter(pk=pk).first()


def sign_in(request: HttpRequest, participant: Participant) -> None:
    request.session.cycle_key()  # a new session id at sign-in (no fixation)
    signed_in = dict(request.session.get(SESSION_KEY) or {})
    signed_in[str(participant.workspace_id)] = participant.pk
    request.session[SESSION_KEY] = signed_in


def sign_out(request: HttpRequest, workspace: Workspace) -> None:
    signed_in = dict(request.session.get(SESSION_KEY) or {})
    signed_in.pop(str(workspace.pk), None)
    request.session[SESSION_KEY] = signed_in


def access_question(workspace: Workspace, number: int) -> Question:
    return get_object_or_404(Question.objects.for_workspace(workspace), number=number)


def access_suggestion(workspace: Workspace, pk: int, *, public: bool = True) -> Suggestion:
    found = get_object_or_404(
        Suggestion.objects.for_workspace(workspace).select_related("question", "author"), pk=pk
    )
    if public and found.visibility != Visibility.PUBLISHED:
        raise Http404("No such suggestion")
    return found


def access_comment(workspace: Workspace, pk: int) -> Comment:
    return get_object_or_404(Comment.objects.for_workspace(workspace), pk=pk)


def open_questions(workspace: Workspace) -> QuerySet[Question]:
    return (
        Question.objects.for_workspace(workspace)
        .annotate(
            suggestion_count=Count(
                "suggestions",
                filter=Q(
                    suggestions__visibility=Visibility.PUBLISHED,
                    suggestions__merged_into__isnull=True,
                ),
                distinct=True,
            )
        )
        .order_by("status", "-created_at")
    )


def ranked_suggestions(question: Question) -> QuerySet[Suggestion]:
    """Published, unmerged suggestions, most votes first, each with `vote_count`."""
    return (
        Suggestion.objects.filter(
            question=question, visibility=Visibility.PUBLISHED, merged_into__isnull=True
        )
        .select_related("author")
        .annotate(
            vote_count=Count("votes", distinct=True),
            comment_count=Count(
                "comments", filter=Q(comments__visibility=Visibility.PUBLISHED), distinct=True
            ),
        )
        .order_by("-vote_count", "created_at")
    )


def voted_ids(question: Question, participant: Participant | None) -> set[int]:
    if participant is None:
        return set()
    return set(
        Vote.objects.filter(participant=participant, suggestion__question=question).values_list(
            "suggestion_id", flat=True
        )
    )


def similar_suggestions(question: Question, text: str, limit: int = 3) -> list[Suggestion]:
    """Published suggestions on the question that say what `text` says, best first."""
    candidates = list(
        Suggestion.objects.filter(
            question=question, visibility=Visibility.PUBLISHED, merged_into__isnull=True
        ).annotate(vote_count=Count("votes"))
    )
    matches = similarity.similar(text, [c.text for c in candidates])
    return [candidates[m.index] for m in matches[:limit]]


@dataclass(frozen=True)
class PollRow:
    choice_id: int
    label: str
    votes: int
    percent: int


def poll_results(question: Question) -> list[PollRow]:
    choices = question.choices.annotate(n=Count("votes")).order_by("position", "pk")
    total = sum(c.n for c in choices) or 1
    return [PollRow(c.pk, c.label, c.n, round(100 * c.n / total)) for c in choices]


def my_poll_choice(question: Question, participant: Participant | None) -> int | None:
    if participant is None:
        return None
    return (
        PollVote.objects.filter(participant=participant, question=question)
        .values_list("choice_id", flat=True)
        .first()
    )


def published_comments(suggestion: Suggestion) -> list[Comment]:
    """Top-level comments, each with `.thread` (its published replies, oldest first)."""
    rows = list(
        Comment.objects.filter(suggestion=suggestion, visibility=Visibility.PUBLISHED)
        .select_related("author", "staff_author")
        .order_by("created_at")
    )
    by_parent: dict[int | None, list[Comment]] = {}
    for row in rows:
        by_parent.setdefault(row.parent_id, []).append(row)

    def attach(comment: Comment) -> Comment:
        comment.thread = [attach(r) for r in by_parent.get(comment.pk, [])]  # type: ignore[attr-defined]
        return comment

    return [attach(c) for c in by_parent.get(None, [])]


def announcements(workspace: Workspace, limit: int = 5) -> QuerySet[Announcement]:
    return (
        Announcement.objects.for_workspace(workspace)
        .select_related("question", "chosen_suggestion", "chosen_choice", "first_suggested_by")
        .order_by("-created_at")[:limit]
    )


# A held item's open "flag this" reports, as `item.open_reports` (the queue shows
# their reasons).
_OPEN_REPORTS = Prefetch(
    "reports",
    queryset=Report.objects.filter(resolved_at__isnull=True)
    .select_related("reporter")
    .order_by("created_at"),
    to_attr="open_reports",
)


def held_suggestions(workspace: Workspace) -> QuerySet[Suggestion]:
    return (
        Suggestion.objects.for_workspace(workspace)
        .filter(visibility=Visibility.HELD)
        .select_related("author", "question")
        .prefetch_related(_OPEN_REPORTS)
        .order_by("created_at")
    )


def held_comments(workspace: Workspace) -> QuerySet[Comment]:
    return (
        Comment.objects.for_workspace(workspace)
        .filter(visibility=Visibility.HELD)
        .select_related("author", "suggestion")
        .prefetch_related(_OPEN_REPORTS)
        .order_by("created_at")
    )


def held_fan_questions(workspace: Workspace) -> QuerySet[FanQuestion]:
    return (
        FanQuestion.objects.for_workspace(workspace)
        .filter(visibility=Visibility.HELD)
        .select_related("author")
        .prefetch_related(_OPEN_REPORTS)
        .order_by("created_at")
    )


def held_answers(workspace: Workspace) -> QuerySet[Answer]:
    return (
        Answer.objects.for_workspace(workspace)
        .filter(visibility=Visibility.HELD)
        .select_related("author", "fan_question")
        .prefetch_related(_OPEN_REPORTS)
        .order_by("created_at")
    )


def open_reports(workspace: Workspace) -> QuerySet[Report]:
    """Customers' "flag this" reports no moderator has decided on yet, newest first."""
    return (
        Report.objects.for_workspace(workspace)
        .filter(resolved_at__isnull=True)
        .select_related("reporter", "suggestion", "comment", "fan_question", "answer", "photo")
        .order_by("-created_at")
    )


HELD_KINDS = ("suggestion", "comment", "question", "answer")


def waiting_for_review(workspace: Workspace) -> int:
    """How many posts are held and photos wait for approval (the queue's length)."""
    return (
        held_suggestions(workspace).count()
        + held_comments(workspace).count()
        + held_fan_questions(workspace).count()
        + held_answers(workspace).count()
        + pending_photos(workspace).count()
    )


def access_post(
    workspace: Workspace, kind: str, pk: int
) -> Suggestion | Comment | FanQuestion | Answer:
    """A customer's post of `kind` (one of HELD_KINDS) in the workspace, whatever its
    visibility (for moderators); 404 for another workspace's or an unknown kind."""
    if kind == "suggestion":
        return access_suggestion(workspace, pk, public=False)
    if kind == "comment":
        return access_comment(workspace, pk)
    if kind == "question":
        return access_fan_question(workspace, pk, public=False)
    if kind == "answer":
        return access_answer(workspace, pk)
    raise Http404("No such kind of post")


@dataclass(frozen=True)
class Contributor:
    participant: Participant
    suggestions: int
    adopted: int
    helpful_votes: int
    comments: int
    accepted_answers: int


def contributors(workspace: Workspace, limit: int = 50) -> list[Contributor]:
    """The most engaged participants: suggestions adopted (planned, done or chosen),
    votes their suggestions received from others, and comments, most first."""
    adopted = Q(suggestions__status__in=[Suggestion.Status.PLANNED, Suggestion.Status.DONE])
    rows = (
        Participant.objects.for_workspace(workspace)
        .annotate(
            n_suggestions=Count(
                "suggestions",
                filter=Q(suggestions__visibility=Visibility.PUBLISHED),
                distinct=True,
            ),
            n_adopted=Count("suggestions", filter=adopted, distinct=True),
            n_helpful=Count(
                "suggestions__votes",
                filter=~Q(suggestions__votes__participant=F("pk")),
                distinct=True,
            ),
            n_comments=Count(
                "comments", filter=Q(comments__visibility=Visibility.PUBLISHED), distinct=True
            ),
            n_accepted=Count("answers", filter=Q(answers__accepted=True), distinct=True),
        )
        .filter(Q(n_suggestions__gt=0) | Q(n_comments__gt=0) | Q(n_accepted__gt=0))
        .order_by(
            "-n_adopted",
            "-n_accepted",
            "-n_helpful",
            "-n_suggestions",
            "-n_comments",
            "display_name",
        )[:limit]
    )
    return [
        Contributor(p, p.n_suggestions, p.n_adopted, p.n_helpful, p.n_comments, p.n_accepted)
        for p in rows
    ]


def fan_questions(workspace: Workspace) -> QuerySet[FanQuestion]:
    """Published fan questions, newest first, with `answer_count` and `has_accepted`."""
    published = Q(answers__visibility=Visibility.PUBLISHED)
    return (
        FanQuestion.objects.for_workspace(workspace)
        .filter(visibility=Visibility.PUBLISHED)
        .select_related("author", "staff_author")
        .annotate(
            answer_count=Count("answers", filter=published, distinct=True),
            accepted_count=Count("answers", filter=Q(answers__accepted=True), distinct=True),
        )
        .order_by("-created_at")
    )


def access_fan_question(workspace: Workspace, pk: int, *, public: bool = True) -> FanQuestion:
    found = get_object_or_404(FanQuestion.objects.for_workspace(workspace), pk=pk)
    if public and found.visibility != Visibility.PUBLISHED:
        raise Http404("No such question")
    return found


def published_answers(fan_question: FanQuestion) -> QuerySet[Answer]:
    return (
        Answer.objects.filter(fan_question=fan_question, visibility=Visibility.PUBLISHED)
        .select_related("author", "staff_author", "accepted_by")
        .order_by("-accepted", "created_at")
    )


def access_answer(workspace: Workspace, pk: int, *, public: bool = False) -> Answer:
    found = get_object_or_404(
        Answer.objects.for_workspace(workspace).select_related("fan_question"), pk=pk
    )
    shown = (found.visibility, found.fan_question.visibility)
    if public and shown != (Visibility.PUBLISHED, Visibility.PUBLISHED):
        raise Http404("No such answer")
    return found


def approved_photos(workspace: Workspace) -> QuerySet[Photo]:
    return (
        Photo.objects.for_workspace(workspace)
        .filter(status=Photo.Status.APPROVED)
        .select_related("participant")[:60]
    )


def pending_photos(workspace: Workspace) -> QuerySet[Photo]:
    return (
        Photo.objects.for_workspace(workspace)
        .filter(status=Photo.Status.PENDING)
        .select_related("participant")
        .prefetch_related(_OPEN_REPORTS)
        .order_by("created_at")
    )


def access_photo(workspace: Workspace, pk: int, *, public: bool) -> Photo:
    found = get_object_or_404(Photo.objects.for_workspace(workspace), pk=pk)
    if public and found.status != Photo.Status.APPROVED:
        raise Http404("No such photo")
    return found


def photo_response(photo: Photo, size: str) -> FileResponse:
    """The photo (`full`) or its thumbnail (`thumb`) as a download-safe response."""
    if size not in ("full", "thumb"):
        raise Http404("No such size")
    field = photo.image if size == "full" else photo.thumbnail
    if not field.name:  # a rejected photo's files are deleted
        raise Http404("No such photo")
    content_type = photo.content_type if size == "full" else _type_of(field.name or "")
    response = FileResponse(field.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _type_of(name: str) -> str:
    return "image/png" if name.endswith(".png") else "image/jpeg"
