"""Community: questions, suggestions with their votes, statuses, merges, the
announcement, fans answer fans, photos and the moderation queue. Reads are scoped
to the token's workspace (another workspace's ids are 404); every write calls the
community actions the staff pages use, so the same roles refuse (MODERATE for all
writes here, except asking and answering fans' questions, which agents may too)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from frontdesk.api.schemas import ErrorOut
from frontdesk.community import queries
from frontdesk.community.actions import answers, moderation, photos, staff
from frontdesk.community.actions.common import require_moderator
from frontdesk.community.models import (
    Answer,
    FanQuestion,
    Photo,
    Question,
    Report,
    Suggestion,
    Vote,
)
from frontdesk.core.http import WorkspaceRequest

router = Router(tags=["community"])


class ChoiceOut(Schema):
    id: int
    label: str
    votes: int


class QuestionOut(Schema):
    number: int
    title: str
    body: str
    kind: str
    is_open: bool
    closes_at: datetime | None
    created_at: datetime
    url: str = Field(description="The public page to share.")
    choices: list[ChoiceOut]
    announcement: str | None = Field(description="The credit line once announced.")


class QuestionIn(Schema):
    title: str
    kind: Literal["suggestions", "poll", "both"]
    body: str = ""
    choices: list[str] = []
    closes_at: datetime | None = None


class SuggestionOut(Schema):
    id: int
    text: str
    details: str
    author: str
    status: str
    status_reason: str
    votes: int
    created_at: datetime


class StatusIn(Schema):
    status: Literal["under_review", "planned", "done", "declined"]
    reason: str = ""


class MergeIn(Schema):
    into: int = Field(description="The suggestion that keeps the votes and comments.")


class CloseIn(Schema):
    suggestion: int | None = None
    choice: int | None = None
    message: str = ""
    notify: bool = False


class AnnouncementOut(Schema):
    credit: str
    voter_count: int
    notified: int = Field(description="Participants told through outreach (notices queued).")
    notifying: bool = Field(
        description="True while the worker queues the notices of a large question; "
        "`notified` then grows until it is false."
    )


class VotesOut(Schema):
    suggestion: int
    votes: int
    voters: list[str]


PostKind = Literal["suggestion", "comment", "question", "answer"]


class ReportOut(Schema):
    reporter: str
    reason: str
    created_at: datetime


class HeldOut(Schema):
    kind: PostKind = Field(description="`question` and `answer` are fans answer fans posts.")
    id: int
    text: str
    author: str
    reason: str
    created_at: datetime
    reports: list[ReportOut] = Field(
        description="Customers' open “flag this” reports on it, oldest first."
    )


class OpenReportOut(ReportOut):
    kind: Literal["suggestion", "comment", "question", "answer", "photo"]
    id: int = Field(description="The flagged item's id.")
    held: bool = Field(description="Whether the item is off the public pages, in the queue.")


class DecisionIn(Schema):
    decision: Literal["approve", "reject", "ban"]
    edited: str | None = None
    message: str = ""
    days: int = 7


def _question_out(request: WorkspaceRequest, question: Question) -> dict[str, object]:
    announcement = getattr(question, "announcement", None)
    return {
        "number": question.number,
        "title": question.title,
        "body": question.body,
        "kind": question.kind,
        "is_open": question.is_open(),
        "closes_at": question.closes_at,
        "created_at": question.created_at,
        "url": request.build_absolute_uri(f"/c/{request.workspace.slug}/q/{question.number}/"),
        "choices": [
            {"id": row.choice_id, "label": row.label, "votes": row.votes}
            for row in queries.poll_results(question)
        ],
        "announcement": announcement.credit if announcement else None,
    }


def _suggestion_out(s: Suggestion) -> dict[str, object]:
    return {
        "id": s.pk,
        "text": s.text,
        "details": s.details,
        "author": s.author.display_name,
        "status": s.status,
        "status_reason": s.status_reason,
        "votes": getattr(s, "vote_count", None) or s.votes.count(),
        "created_at": s.created_at,
    }


def _suggestion(request: WorkspaceRequest, suggestion_id: int) -> Suggestion:
    return queries.access_suggestion(request.workspace, suggestion_id, public=False)


@router.get("/questions", response=list[QuestionOut], summary="Questions, open ones first")
def list_questions(request: WorkspaceRequest) -> list[dict[str, object]]:
    return [_question_out(request, q) for q in queries.open_questions(request.workspace)[:100]]


@router.post("/questions", response={201: QuestionOut, 403: ErrorOut, 409: ErrorOut})
def create_question(request: WorkspaceRequest, body: QuestionIn) -> Status[dict[str, object]]:
    made = staff.create_question(
        request.workspace,
        by=request.membership,
        title=body.title,
        kind=body.kind,
        body=body.body,
        choices=body.choices,
        closes_at=body.closes_at,
    )
    return Status(201, _question_out(request, made))


@router.get("/questions/{number}", response={200: QuestionOut, 404: ErrorOut})
def get_question(request: WorkspaceRequest, number: int) -> dict[str, object]:
    return _question_out(request, queries.access_question(request.workspace, number))


@router.get(
    "/questions/{number}/suggestions",
    response={200: list[SuggestionOut], 404: ErrorOut},
    summary="Published suggestions, most votes first (merged ones count in their target)",
)
def list_suggestions(request: WorkspaceRequest, number: int) -> list[dict[str, object]]:
    question = queries.access_question(request.workspace, number)
    return [_suggestion_out(s) for s in queries.ranked_suggestions(question)]


@router.post(
    "/questions/{number}/close",
    response={200: AnnouncementOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Close the question announcing the community's choice, with its credit",
)
def close_question(request: WorkspaceRequest, number: int, body: CloseIn) -> dict[str, object]:
    question = queries.access_question(request.workspace, number)
    chosen = _suggestion(request, body.suggestion) if body.suggestion else None
    choice = get_object_or_404(question.choices, pk=body.choice) if body.choice else None
    made = staff.close_question(
        question,
        by=request.membership,
        chosen_suggestion=chosen,
        chosen_choice=choice,
        message=body.message,
        notify_participants=body.notify,
    )
    return {
        "credit": made.credit,
        "voter_count": made.voter_count,
        "notified": made.notified,
        "notifying": made.notifying,
    }


@router.get("/suggestions/{suggestion_id}/votes", response={200: VotesOut, 404: ErrorOut})
def suggestion_votes(request: WorkspaceRequest, suggestion_id: int) -> dict[str, object]:
    found = _suggestion(request, suggestion_id)
    names = list(
        Vote.objects.filter(suggestion=found)
        .order_by("created_at")
        .values_list("participant__display_name", flat=True)
    )
    return {"suggestion": found.pk, "votes": len(names), "voters": names}


@router.post(
    "/suggestions/{suggestion_id}/status",
    response={200: SuggestionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Set a suggestion's status; everyone who voted for it is told",
)
def set_status(request: WorkspaceRequest, suggestion_id: int, body: StatusIn) -> dict[str, object]:
    found = _suggestion(request, suggestion_id)
    staff.set_suggestion_status(
        found, by=request.membership, status=body.status, reason=body.reason
    )
    return _suggestion_out(found)


@router.post(
    "/suggestions/{suggestion_id}/merge",
    response={200: SuggestionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Merge this duplicate into another suggestion, keeping every vote once",
)
def merge(request: WorkspaceRequest, suggestion_id: int, body: MergeIn) -> dict[str, object]:
    duplicate = _suggestion(request, suggestion_id)
    into = _suggestion(request, body.into)
    return _suggestion_out(staff.merge_suggestions(duplicate, into=into, by=request.membership))


@router.get("/moderation", response=list[HeldOut], summary="Posts held for review")
def held(request: WorkspaceRequest) -> list[dict[str, object]]:
    ws = request.workspace
    rows = [
        *(
            (
                "suggestion",
                s.pk,
                s.text,
                s.author.display_name,
                s.hold_reason,
                s.created_at,
                _reports_out(s),
            )
            for s in queries.held_suggestions(ws)
        ),
        *(
            (
                "comment",
                c.pk,
                c.body,
                c.author_name,
                c.hold_reason,
                c.created_at,
                _reports_out(c),
            )
            for c in queries.held_comments(ws)
        ),
        *(
            (
                "question",
                q.pk,
                q.title,
                q.author_name,
                q.hold_reason,
                q.created_at,
                _reports_out(q),
            )
            for q in queries.held_fan_questions(ws)
        ),
        *(
            (
                "answer",
                a.pk,
                a.body,
                a.author_name,
                a.hold_reason,
                a.created_at,
                _reports_out(a),
            )
            for a in queries.held_answers(ws)
        ),
    ]
    keys = ("kind", "id", "text", "author", "reason", "created_at", "reports")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _reports_out(item: object) -> list[dict[str, object]]:
    return [
        {"reporter": r.reporter.display_name, "reason": r.reason, "created_at": r.created_at}
        for r in getattr(item, "open_reports", [])
    ]


# Report's target field -> the API's kind (fan questions are `question` here too).
_REPORT_KINDS = {
    "suggestion": "suggestion",
    "comment": "comment",
    "fan_question": "question",
    "answer": "answer",
    "photo": "photo",
}


@router.get(
    "/reports",
    response={200: list[OpenReportOut], 403: ErrorOut},
    summary="Customers' open “flag this” reports, newest first (held or not yet)",
)
def open_reports(request: WorkspaceRequest) -> list[dict[str, object]]:
    require_moderator(request.membership, request.workspace.pk)
    out = []
    for r in queries.open_reports(request.workspace)[:200]:
        field = next(f for f in Report.TARGETS if getattr(r, f"{f}_id"))
        item = getattr(r, field)
        held = (
            item.status != Photo.Status.APPROVED
            if isinstance(item, Photo)
            else item.visibility != "published"
        )
        out.append(
            {
                "kind": _REPORT_KINDS[field],
                "id": item.pk,
                "reporter": r.reporter.display_name,
                "reason": r.reason,
                "created_at": r.created_at,
                "held": held,
            }
        )
    return out


@router.post(
    "/moderation/{kind}/{post_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Approve (optionally edited), reject with a message, or reject and ban",
)
def decide(
    request: WorkspaceRequest,
    kind: PostKind,
    post_id: int,
    body: DecisionIn,
) -> Status[None]:
    post = queries.access_post(request.workspace, kind, post_id)
    by = request.membership
    if body.decision == "approve":
        moderation.approve(post, by=by, edited=body.edited)
    else:
        moderation.reject(post, by=by, message=body.message)
        if body.decision == "ban" and post.author is not None:
            moderation.ban(post.author, by=by, days=body.days, reason=body.message)
    return Status(204, None)


# Fans answer fans ----------------------------------------------------------------


class AnswerOut(Schema):
    id: int
    body: str
    author: str
    by_staff: bool
    accepted: bool
    thanks: str
    created_at: datetime


class FanQuestionOut(Schema):
    id: int
    title: str
    body: str
    author: str
    by_staff: bool
    created_at: datetime
    answer_count: int
    answered: bool = Field(description="One answer is accepted.")
    url: str = Field(description="The public page.")


class FanQuestionDetailOut(FanQuestionOut):
    answers: list[AnswerOut] = Field(description="Published answers, the accepted one first.")


class AskIn(Schema):
    title: str = Field(max_length=200)
    body: str = Field("", max_length=4000)


class AnswerIn(Schema):
    body: str = Field(max_length=4000)


class AcceptIn(Schema):
    thanks: str = Field(
        "", max_length=2000, description="With thanks, its author is told through outreach."
    )


def _answer_out(a: Answer) -> dict[str, object]:
    return {
        "id": a.pk,
        "body": a.body,
        "author": a.author_name,
        "by_staff": a.staff_author_id is not None,
        "accepted": a.accepted,
        "thanks": a.thanks,
        "created_at": a.created_at,
    }


def _fan_question_out(
    request: WorkspaceRequest, fq: FanQuestion, *, detail: bool = False
) -> dict[str, object]:
    published = list(queries.published_answers(fq)) if detail else []
    out: dict[str, object] = {
        "id": fq.pk,
        "title": fq.title,
        "body": fq.body,
        "author": fq.author_name,
        "by_staff": fq.staff_author_id is not None,
        "created_at": fq.created_at,
        "answer_count": getattr(fq, "answer_count", len(published)),
        "answered": bool(getattr(fq, "accepted_count", any(a.accepted for a in published))),
        "url": request.build_absolute_uri(f"/c/{request.workspace.slug}/ask/{fq.pk}/"),
    }
    if detail:
        out["answers"] = [_answer_out(a) for a in published]
    return out


@router.get(
    "/fan-questions",
    response=list[FanQuestionOut],
    summary="Fans answer fans: published questions, newest first",
)
def list_fan_questions(request: WorkspaceRequest) -> list[dict[str, object]]:
    return [_fan_question_out(request, q) for q in queries.fan_questions(request.workspace)[:100]]


@router.post(
    "/fan-questions",
    response={201: FanQuestionDetailOut, 403: ErrorOut, 409: ErrorOut},
    summary="Ask the community a question as staff (shown with your name as staff)",
)
def ask_fan_question(request: WorkspaceRequest, body: AskIn) -> Status[dict[str, object]]:
    made = answers.staff_ask(
        request.workspace, by=request.membership, title=body.title, body=body.body
    )
    return Status(201, _fan_question_out(request, made, detail=True))


@router.get(
    "/fan-questions/{fan_question_id}",
    response={200: FanQuestionDetailOut, 404: ErrorOut},
    summary="A published fan question with its published answers",
)
def get_fan_question(request: WorkspaceRequest, fan_question_id: int) -> dict[str, object]:
    found = queries.access_fan_question(request.workspace, fan_question_id)
    return _fan_question_out(request, found, detail=True)


@router.post(
    "/fan-questions/{fan_question_id}/answers",
    response={201: AnswerOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Answer a fan question as staff (marked as staff)",
)
def answer_fan_question(
    request: WorkspaceRequest, fan_question_id: int, body: AnswerIn
) -> Status[dict[str, object]]:
    found = queries.access_fan_question(request.workspace, fan_question_id)
    made = answers.staff_answer(found, by=request.membership, body=body.body)
    return Status(201, _answer_out(made))


@router.post(
    "/answers/{answer_id}/accept",
    response={200: AnswerOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Mark the accepted answer (one per question) and thank its author",
)
def accept_answer(request: WorkspaceRequest, answer_id: int, body: AcceptIn) -> dict[str, object]:
    found = queries.access_answer(request.workspace, answer_id)
    return _answer_out(answers.accept_answer(found, by=request.membership, thanks=body.thanks))


# Photos --------------------------------------------------------------------------


class PhotoOut(Schema):
    id: int
    caption: str
    credit: str = Field(description="How the photographer asked to be credited.")
    author: str
    status: Literal["pending", "approved", "rejected"]
    consent_at: datetime
    created_at: datetime
    image_url: str | None = Field(
        description="Public once approved; before, the staff page's (needs a staff session); "
        "none once rejected (the files are deleted)."
    )
    thumbnail_url: str | None
    hold_reason: str = Field(description="Why a published photo went back for review.")
    reports: list[ReportOut] = Field(
        description="Customers' open “flag this” reports (on pending photos only)."
    )


class PhotoDecisionIn(Schema):
    decision: Literal["approve", "reject"]
    message: str = Field(
        "", max_length=2000, description="When rejecting: told to the photographer."
    )


def _photo_out(request: WorkspaceRequest, photo: Photo) -> dict[str, object]:
    slug = request.workspace.slug
    urls: dict[str, str | None] = {"full": None, "thumb": None}
    if photo.status != Photo.Status.REJECTED:
        for size in urls:
            path = (
                f"/c/{slug}/photos/{photo.pk}/{size}/"
                if photo.status == Photo.Status.APPROVED
                else f"/w/{slug}/community/photos/{photo.pk}/{size}/"
            )
            urls[size] = request.build_absolute_uri(path)
    return {
        "id": photo.pk,
        "caption": photo.caption,
        "credit": photo.credit,
        "author": photo.participant.display_name,
        "status": photo.status,
        "consent_at": photo.consent_at,
        "created_at": photo.created_at,
        "image_url": urls["full"],
        "thumbnail_url": urls["thumb"],
        "hold_reason": photo.hold_reason,
        "reports": _reports_out(photo),
    }


@router.get(
    "/photos",
    response={200: list[PhotoOut], 403: ErrorOut},
    summary="Photos waiting for approval (status=pending) or published (approved)",
)
def list_photos(
    request: WorkspaceRequest, status: Literal["pending", "approved"] = "pending"
) -> list[dict[str, object]]:
    require_moderator(request.membership, request.workspace.pk)
    found = (
        queries.pending_photos(request.workspace)[:100]
        if status == "pending"
        else queries.approved_photos(request.workspace)
    )
    return [_photo_out(request, p) for p in found]


@router.post(
    "/photos/{photo_id}/decision",
    response={200: PhotoOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Publish a photo, or reject it (its files are deleted, the photographer told)",
)
def decide_photo(
    request: WorkspaceRequest, photo_id: int, body: PhotoDecisionIn
) -> dict[str, object]:
    found = queries.access_photo(request.workspace, photo_id, public=False)
    made = photos.decide_photo(
        found, by=request.membership, approve=body.decision == "approve", message=body.message
    )
    return _photo_out(request, made)
