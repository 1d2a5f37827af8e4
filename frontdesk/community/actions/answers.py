"""Fans answer fans: customers ask and answer; staff accept an answer and thank its
author. Customers' posts are screened like suggestions (held when abusive)."""

from __future__ import annotations

from django.db import transaction

from frontdesk.community.actions.common import (
    CommunityError,
    create_screened_post,
    require_moderator,
    require_staff_voice,
)
from frontdesk.community.models import (
    Answer,
    FanQuestion,
    Participant,
    Visibility,
)
from frontdesk.community.notify import ANSWER_ACCEPTED, Notice, notify
from frontdesk.core.models import Membership, Workspace

TITLE_LENGTH = 200
BODY_LENGTH = 4000


def _text(value: str, *, field: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise CommunityError("Write something first.", field=field)
    if len(value) > limit:
        raise CommunityError(f"Keep it under {limit} characters.", field=field)
    return value


def ask(
    workspace: Workspace, *, participant: Participant, title: str, body: str = ""
) -> FanQuestion:
    """Ask the community a question; held for review when triage flags it."""
    if participant.workspace_id != workspace.pk:
        raise CommunityError("That belongs to another community.")
    title = " ".join(_text(title, field="title", limit=TITLE_LENGTH).split())
    body = body.strip()[:BODY_LENGTH]
    return create_screened_post(
        FanQuestion,
        participant=participant,
        screened=f"{title}\n{body}",
        hold_note=f"Question “{title}”: ",
        workspace=workspace,
        title=title,
        body=body,
    )


def staff_ask(workspace: Workspace, *, by: Membership, title: str, body: str = "") -> FanQuestion:
    """A question staff put to the community (one that came in by phone, say), shown
    with their name as staff; published at once."""
    require_staff_voice(by, workspace.pk)
    return FanQuestion.objects.create(
        workspace=workspace,
        staff_author=by,
        title=" ".join(_text(title, field="title", limit=TITLE_LENGTH).split()),
        body=body.strip()[:BODY_LENGTH],
    )


def answer(fan_question: FanQuestion, *, participant: Participant, body: str) -> Answer:
    """Answer a fan question; held for review when triage flags it."""
    if participant.workspace_id != fan_question.workspace_id:
        raise CommunityError("That belongs to another community.")
    if fan_question.visibility != Visibility.PUBLISHED:
        raise CommunityError("This question is not open for answers.")
    body = _text(body, field="body", limit=BODY_LENGTH)
    return create_screened_post(
        Answer,
        participant=participant,
        screened=body,
        hold_note="Answer: ",
        workspace_id=fan_question.workspace_id,
        fan_question=fan_question,
        body=body,
    )


def staff_answer(fan_question: FanQuestion, *, by: Membership, body: str) -> Answer:
    """A staff member's answer, shown with their name as staff."""
    require_staff_voice(by, fan_question.workspace_id)
    if fan_question.visibility != Visibility.PUBLISHED:
        raise CommunityError("This question is not open for answers.")
    return Answer.objects.create(
        workspace_id=fan_question.workspace_id,
        fan_question=fan_question,
        staff_author=by,
        body=_text(body, field="body", limit=BODY_LENGTH),
    )


def accept_answer(chosen: Answer, *, by: Membership, thanks: str = "") -> Answer:
    """Mark `chosen` as the accepted answer (replacing any other) and, with `thanks`,
    thank its author by email or text through outreach (once per answer)."""
    require_moderator(by, chosen.workspace_id)
    if chosen.visibility != Visibility.PUBLISHED:
        raise CommunityError("Only a published answer can be accepted.")
    thanks = thanks.strip()
    workspace = chosen.workspace
    with transaction.atomic():
        Answer.objects.filter(fan_question_id=chosen.fan_question_id, accepted=True).exclude(
            pk=chosen.pk
        ).update(accepted=False)
        chosen.accepted = True
        chosen.accepted_by = by
        chosen.thanks = thanks
        chosen.save(update_fields=["accepted", "accepted_by", "thanks"])
        if thanks and chosen.author is not None:
            notice = Notice(
                ANSWER_ACCEPTED,
                ref=f"accepted{chosen.pk}",
                item={"question": chosen.fan_question.title, "thanks": thanks},
            )
            notify(workspace, [chosen.author.contact_id], notice, by=by)
    return chosen
