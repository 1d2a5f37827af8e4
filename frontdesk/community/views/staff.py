"""Staff pages under /w/<ws>/community/: questions, merging, statuses, announcing,
the review queue and the contributors list. Parse, call one action, redirect."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from frontdesk.community import queries
from frontdesk.community.actions import answers, moderation, policy, posts, staff
from frontdesk.community.actions import photos as photo_actions
from frontdesk.community.actions.common import CommunityError, settings_for
from frontdesk.community.models import (
    Ban,
    ModerationAction,
    Participant,
    QuestionKind,
    Suggestion,
    Visibility,
)
from frontdesk.core import roles
from frontdesk.core.permissions import require_capability


class QuestionForm(forms.Form):
    title = forms.CharField(label="Question", max_length=200)
    body = forms.CharField(
        label="More about it", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label="Answers", choices=QuestionKind.choices)
    choices = forms.CharField(
        label="Poll answers, one a line",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Only for a poll.",
    )
    closes_at = forms.DateTimeField(
        label="Closes at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class CommunitySettingsForm(forms.Form):
    code_of_conduct = forms.CharField(
        label="Code of conduct",
        max_length=policy.CONDUCT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Published at the community's Code of conduct page, one rule a line.",
    )
    posts_per_window = forms.IntegerField(
        label="Posts one person may make",
        min_value=1,
        max_value=policy.MAX_POSTS,
        help_text="Suggestions, comments, questions and answers together.",
    )
    window_minutes = forms.IntegerField(
        label="…in this many minutes",
        min_value=1,
        max_value=policy.MAX_WINDOW_MINUTES,
    )


def index(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        closes_at: datetime | None = data["closes_at"]
        try:
            made = staff.create_question(
                workspace,
                by=request.membership,  # type: ignore[attr-defined]
                title=data["title"],
                body=data["body"],
                kind=data["kind"],
                choices=data["choices"].splitlines(),
                closes_at=closes_at,
            )
        except CommunityError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"Question {made.number} is open. Share its link!")
            return redirect("community:question", ws=workspace.slug, number=made.number)
    return render(
        request,
        "community/staff_index.html",
        {
            "questions": queries.open_questions(workspace),
            "form": form,
            "can_moderate": request.membership.can(roles.MODERATE),  # type: ignore[attr-defined]
            "held": queries.waiting_for_review(workspace),
        },
        status=400 if form.errors else 200,
    )


def question(request: HttpRequest, number: int) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    found = queries.access_question(workspace, number)
    suggestions = list(queries.ranked_suggestions(found))
    merged = (
        Suggestion.objects.for_workspace(workspace)
        .filter(question=found, merged_into__isnull=False)
        .select_related("merged_into", "author")
    )
    voters = (
        Participant.objects.for_workspace(workspace)
        .filter(Q(votes__suggestion__question=found) | Q(poll_votes__question=found))
        .distinct()
        .count()
    )
    return render(
        request,
        "community/staff_question.html",
        {
            "question": found,
            "suggestions": suggestions,
            "merged": merged,
            "poll": queries.poll_results(found) if found.is_poll else [],
            "announcement": getattr(found, "announcement", None),
            "voters": voters,
            "statuses": Suggestion.Status.choices,
            "can_moderate": request.membership.can(roles.MODERATE),  # type: ignore[attr-defined]
        },
    )


def _suggestion(request: HttpRequest, pk: int) -> Suggestion:
    return queries.access_suggestion(request.workspace, pk, public=False)  # type: ignore[attr-defined]


@require_capability(roles.MODERATE)
def merge(request: HttpRequest, number: int) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    found = queries.access_question(workspace, number)
    if request.method == "POST":
        duplicate = _suggestion(request, int(request.POST.get("duplicate") or 0))
        into = _suggestion(request, int(request.POST.get("into") or 0))
        staff.merge_suggestions(duplicate, into=into, by=request.membership)  # type: ignore[attr-defined]
        messages.success(request, f"Merged “{duplicate.text}” into “{into.text}”.")
    return redirect("community:question", ws=workspace.slug, number=found.number)


@require_capability(roles.MODERATE)
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _suggestion(request, pk)
    if request.method == "POST":
        staff.set_suggestion_status(
            suggestion,
            by=request.membership,  # type: ignore[attr-defined]
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
        )
        messages.success(
            request,
            f"“{suggestion.text}” is {suggestion.get_status_display().lower()}; voters told.",
        )
    return redirect(
        "community:question",
        ws=request.workspace.slug,  # type: ignore[attr-defined]
        number=suggestion.question.number,
    )


@require_capability(roles.MODERATE)
def close(request: HttpRequest, number: int) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    found = queries.access_question(workspace, number)
    if request.method == "POST":
        chosen = request.POST.get("chosen", "")
        kind, _, pk = chosen.partition(":")
        suggestion = _suggestion(request, int(pk)) if kind == "s" and pk.isdigit() else None
        choice = (
            get_object_or_404(found.choices, pk=int(pk)) if kind == "c" and pk.isdigit() else None
        )
        announcement = staff.close_question(
            found,
            by=request.membership,  # type: ignore[attr-defined]
            chosen_suggestion=suggestion,
            chosen_choice=choice,
            message=request.POST.get("message", ""),
            notify_participants=request.POST.get("notify") == "on",
        )
        messages.success(request, f"Announced: {announcement.credit}.")
        if announcement.notifying:
            messages.info(request, "Everyone who took part will be told: the worker is on it.")
        elif request.POST.get("notify") == "on" and not announcement.notified:
            messages.warning(
                request,
                "Nobody was notified: you have no sender identity in outreach and the "
                "workspace has no default sender (or nobody who took part can be reached).",
            )
    return redirect("community:question", ws=workspace.slug, number=found.number)


@require_capability(roles.MODERATE)
def staff_comment(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _suggestion(request, pk)
    if request.method == "POST":
        posts.staff_comment(suggestion, by=request.membership, body=request.POST.get("body", ""))  # type: ignore[attr-defined]
        messages.success(request, "Your comment is published, marked as staff.")
    return redirect(
        "community:question",
        ws=request.workspace.slug,  # type: ignore[attr-defined]
        number=suggestion.question.number,
    )


@require_capability(roles.MODERATE)
def queue(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    return render(
        request,
        "community/staff_queue.html",
        {
            "suggestions": queries.held_suggestions(workspace),
            "comments": queries.held_comments(workspace),
            "fan_questions": queries.held_fan_questions(workspace),
            "answers": queries.held_answers(workspace),
            "photos": queries.pending_photos(workspace),
            "log": ModerationAction.objects.for_workspace(workspace).select_related(
                "moderator", "participant", "suggestion", "comment"
            )[:50],
            "bans": Ban.objects.for_workspace(workspace)
            .filter(until__gt=timezone.now(), lifted_at__isnull=True)
            .select_related("participant"),
        },
    )


@require_capability(roles.MODERATE)
def decide(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """approve / edit / reject a held post, or ban its author."""
    workspace = request.workspace  # type: ignore[attr-defined]
    by = request.membership  # type: ignore[attr-defined]
    post = queries.access_post(workspace, kind, pk)
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision == "approve":
            moderation.approve(post, by=by, edited=request.POST.get("edited"))
            messages.success(request, "Published.")
        elif decision == "reject":
            moderation.reject(post, by=by, message=request.POST.get("message", ""))
            messages.success(request, "Rejected; the author is told if you wrote a message.")
        elif decision == "ban" and post.author is not None:
            moderation.reject(post, by=by, message=request.POST.get("message", ""))
            days = int(request.POST.get("days") or 7)
            moderation.ban(post.author, by=by, days=days, reason=request.POST.get("message", ""))
            messages.success(request, f"{post.author.display_name} cannot post for {days} days.")
    return redirect("community:queue", ws=workspace.slug)


@require_capability(roles.MODERATE)
def community_settings(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    current = settings_for(workspace)
    form = CommunitySettingsForm(
        request.POST or None,
        initial={
            "code_of_conduct": current.code_of_conduct,
            "posts_per_window": current.posts_per_window,
            "window_minutes": current.window_minutes,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            policy.update_community_settings(
                workspace,
                by=request.membership,  # type: ignore[attr-defined]
                **form.cleaned_data,
            )
        except CommunityError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, "Community settings saved.")
            return redirect("community:settings", ws=workspace.slug)
    return render(
        request,
        "community/staff_settings.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@require_capability(roles.MODERATE)
def lift(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    ban_row = get_object_or_404(Ban.objects.for_workspace(workspace), pk=pk)
    if request.method == "POST":
        moderation.lift_ban(ban_row, by=request.membership)  # type: ignore[attr-defined]
        messages.success(request, "Ban lifted.")
    return redirect("community:queue", ws=workspace.slug)


@require_capability(roles.MODERATE)
def contributors(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    return render(
        request,
        "community/staff_contributors.html",
        {
            "contributors": queries.contributors(workspace),
            "participants": Participant.objects.for_workspace(workspace).count(),
            "published": Suggestion.objects.for_workspace(workspace)
            .filter(visibility=Visibility.PUBLISHED)
            .aggregate(n=Count("pk"))["n"],
        },
    )


def fan_answers(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    rows = list(queries.fan_questions(workspace)[:50])
    for row in rows:
        row.published = list(queries.published_answers(row))  # type: ignore[attr-defined]
    return render(
        request,
        "community/staff_answers.html",
        {
            "fan_questions": rows,
            "can_moderate": request.membership.can(roles.MODERATE),  # type: ignore[attr-defined]
        },
    )


@require_capability(roles.MODERATE)
def accept_answer(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    chosen = queries.access_answer(workspace, pk)
    if request.method == "POST":
        answers.accept_answer(
            chosen,
            by=request.membership,  # type: ignore[attr-defined]
            thanks=request.POST.get("thanks", ""),
        )
        messages.success(request, f"Accepted {chosen.author_name}'s answer.")
    return redirect("community:answers", ws=workspace.slug)


@require_capability(roles.MODERATE)
def photo_queue(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    return render(
        request,
        "community/staff_photos.html",
        {
            "pending": queries.pending_photos(workspace),
            "published": queries.approved_photos(workspace),
        },
    )


@require_capability(roles.MODERATE)
def photo_file(request: HttpRequest, pk: int, size: str) -> FileResponse:
    found = queries.access_photo(request.workspace, pk, public=False)  # type: ignore[attr-defined]
    return queries.photo_response(found, size)


@require_capability(roles.MODERATE)
def decide_photo(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    found = queries.access_photo(workspace, pk, public=False)
    if request.method == "POST":
        approve = request.POST.get("decision") == "approve"
        photo_actions.decide_photo(
            found,
            by=request.membership,  # type: ignore[attr-defined]
            approve=approve,
            message=request.POST.get("message", ""),
        )
        messages.success(
            request, "Photo published." if approve else "Photo rejected and its files deleted."
        )
    back = "community:queue" if request.POST.get("back") == "queue" else "community:photos"
    return redirect(back, ws=workspace.slug)
