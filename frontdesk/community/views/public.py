"""The public community pages at /c/<workspace slug>/: readable by anyone; taking part
needs the light sign-in (`actions.signin`), kept in the session per workspace.

Views parse, call one action and render. A CommunityError on a form is shown on the
form; any other refusal goes to ActionErrorMiddleware like everywhere else.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_POST

from frontdesk.community import queries
from frontdesk.community.actions import answers, posts, signin
from frontdesk.community.actions import photos as photo_actions
from frontdesk.community.actions.common import CommunityError, active_ban, settings_for
from frontdesk.community.models import Participant, Question, Visibility
from frontdesk.core.models import Workspace

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
NEXT_KEY = "community_next"


def brand_colors(color: str) -> dict[str, str]:
    """The workspace's colour, a darker and a pale shade, and readable text on it."""
    brand = color if HEX.match(color or "") else "#1f6f5c"
    rgb = [int(brand[i : i + 2], 16) for i in (1, 3, 5)]

    def mix(target: int, amount: float) -> str:
        return "#" + "".join(f"{round(c + (target - c) * amount):02x}" for c in rgb)

    def lin(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])
    on_brand = "#ffffff" if 1.05 / (luminance + 0.05) >= 4.5 else "#1e2422"
    return {"brand": brand, "strong": mix(0, 0.2), "soft": mix(255, 0.9), "on": on_brand}


def _context(request: HttpRequest, workspace: Workspace, **extra: Any) -> dict[str, Any]:
    # Closing times read in the library's own time zone (the middleware resets it
    # after every request).
    timezone.activate(workspace.tzinfo)
    participant = queries.current_participant(request, workspace)
    return {
        "org": workspace,
        "colors": brand_colors(workspace.brand_color),
        "participant": participant,
        "banned": active_ban(participant) if participant else None,
        "flag_reasons": posts.FLAG_REASONS,
        **extra,
    }


def _signed_in(request: HttpRequest, workspace: Workspace) -> Participant | None:
    participant = queries.current_participant(request, workspace)
    if participant is None:
        request.session[NEXT_KEY] = request.META.get("HTTP_REFERER", "")
    return participant


def _to_sign_in(workspace: Workspace) -> HttpResponse:
    return redirect("community_public:signin", community=workspace.slug)


def home(request: HttpRequest, community: str) -> HttpResponse:
    workspace = queries.public_workspace(community)
    questions = list(queries.open_questions(workspace)[:30])
    return render(
        request,
        "community/public_home.html",
        _context(
            request,
            workspace,
            open_questions=[q for q in questions if q.is_open()],
            closed_questions=[q for q in questions if not q.is_open()],
            announcements=queries.announcements(workspace),
        ),
    )


def conduct(request: HttpRequest, community: str) -> HttpResponse:
    workspace = queries.public_workspace(community)
    policy = settings_for(workspace)
    return render(
        request,
        "community/public_conduct.html",
        _context(
            request, workspace, rules=[r for r in policy.code_of_conduct.splitlines() if r.strip()]
        ),
    )


class SuggestForm(forms.Form):
    text = forms.CharField(label="Your suggestion", max_length=200)
    details = forms.CharField(
        label="Why?", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    website = forms.CharField(required=False)  # honeypot: people never see it


def _question_context(
    request: HttpRequest, workspace: Workspace, question: Question, **extra: Any
) -> dict[str, Any]:
    context = _context(request, workspace, question=question, **extra)
    participant = context["participant"]
    context.update(
        suggestions=list(queries.ranked_suggestions(question)),
        voted=queries.voted_ids(question, participant),
        poll=queries.poll_results(question) if question.is_poll else [],
        my_choice=queries.my_poll_choice(question, participant),
        share_url=request.build_absolute_uri(
            reverse("community_public:question", args=[workspace.slug, question.number])
        ),
        announcement=getattr(question, "announcement", None),
    )
    context.setdefault("form", SuggestForm())
    return context


def question(request: HttpRequest, community: str, number: int) -> HttpResponse:
    workspace = queries.public_workspace(community)
    found = queries.access_question(workspace, number)
    return render(
        request, "community/public_question.html", _question_context(request, workspace, found)
    )


@require_POST
def suggest(request: HttpRequest, community: str, number: int) -> HttpResponse:
    workspace = queries.public_workspace(community)
    found = queries.access_question(workspace, number)
    participant = _signed_in(request, workspace)
    if participant is None:
        return _to_sign_in(workspace)
    form = SuggestForm(request.POST)
    similar: list[Any] = []
    if form.is_valid():
        if form.cleaned_data["website"]:
            messages.success(request, "Thank you: your suggestion is in.")
            return redirect("community_public:question", workspace.slug, found.number)
        text = form.cleaned_data["text"]
        similar = [] if form.cleaned_data["confirm"] else queries.similar_suggestions(found, text)
        if not similar:
            try:
                made = posts.suggest(
                    found, participant=participant, text=text, details=form.cleaned_data["details"]
                )
            except CommunityError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                if made.visibility == Visibility.HELD:
                    messages.warning(
                        request,
                        "Thank you. Your suggestion is waiting for a moderator to read it "
                        "before it is published (see our code of conduct).",
                    )
                else:
                    messages.success(request, "Thank you: your suggestion is in. Share it!")
                return redirect(
                    reverse("community_public:question", args=[workspace.slug, found.number])
                    + f"#s{made.pk}"
                )
        else:
            form = SuggestForm(initial={**form.cleaned_data, "confirm": True})
    return render(
        request,
        "community/public_question.html",
        _question_context(request, workspace, found, form=form, similar=similar),
        status=200 if form.is_valid() or similar else 400,
    )


@require_POST
def vote(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    workspace = queries.public_workspace(community)
    suggestion = queries.access_suggestion(workspace, pk)
    participant = _signed_in(request, workspace)
    if participant is None:
        if request.htmx:  # type: ignore[attr-defined]
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("community_public:signin", args=[workspace.slug])
            return response
        return _to_sign_in(workspace)
    if request.POST.get("undo"):
        posts.unvote(suggestion, participant=participant)
    else:
        posts.vote(suggestion, participant=participant)
    target = suggestion.merged_into or suggestion
    if request.htmx:  # type: ignore[attr-defined]
        target.vote_count = target.votes.count()  # type: ignore[attr-defined]
        return render(
            request,
            "community/_vote.html",
            _context(
                request,
                workspace,
                s=target,
                voted={target.pk}
                if target.votes.filter(participant=participant).exists()
                else set(),
            ),
        )
    return redirect(
        reverse("community_public:question", args=[workspace.slug, target.question.number])
        + f"#s{target.pk}"
    )


@require_POST
def poll_vote(request: HttpRequest, community: str, number: int) -> HttpResponse:
    workspace = queries.public_workspace(community)
    found = queries.access_question(workspace, number)
    participant = _signed_in(request, workspace)
    if participant is None:
        return _to_sign_in(workspace)
    choice = found.choices.filter(pk=request.POST.get("choice") or 0).first()
    if choice is None:
        messages.error(request, "Pick one of the answers.")
    else:
        posts.vote_in_poll(found, participant=participant, choice=choice)
        messages.success(request, f"Your vote for “{choice.label}” is counted.")
    return redirect("community_public:question", workspace.slug, found.number)


class CommentForm(forms.Form):
    body = forms.CharField(label="Add a comment", widget=forms.Textarea(attrs={"rows": 3}))
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


def suggestion_page(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    workspace = queries.public_workspace(community)
    found = queries.access_suggestion(workspace, pk)
    if found.merged_into_id:
        return redirect("community_public:suggestion", workspace.slug, found.merged_into_id)
    return _render_suggestion(request, workspace, found, CommentForm())


def _render_suggestion(
    request: HttpRequest, workspace: Workspace, found: Any, form: CommentForm, status: int = 200
) -> HttpResponse:
    context = _context(
        request,
        workspace,
        s=found,
        question=found.question,
        comments=queries.published_comments(found),
        form=form,
    )
    found.vote_count = found.votes.count()
    context["voted"] = (
        {found.pk}
        if context["participant"]
        and found.votes.filter(participant=context["participant"]).exists()
        else set()
    )
    return render(request, "community/public_suggestion.html", context, status=status)


@require_POST
def comment(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    workspace = queries.public_workspace(community)
    found = queries.access_suggestion(workspace, pk)
    participant = _signed_in(request, workspace)
    if participant is None:
        return _to_sign_in(workspace)
    form = CommentForm(request.POST)
    if form.is_valid():
        parent = (
            queries.access_comment(workspace, form.cleaned_data["parent"])
            if form.cleaned_data["parent"]
            else None
        )
        try:
            made = posts.comment(
                found, participant=participant, body=form.cleaned_data["body"], parent=parent
            )
        except CommunityError as error:
            form.add_error("body" if error.field == "body" else None, error.message)
        else:
            if made.visibility == Visibility.HELD:
                messages.warning(
                    request,
                    "Your comment is waiting for a moderator before it is published: "
                    "it may break our code of conduct.",
                )
            return redirect(
                reverse("community_public:suggestion", args=[workspace.slug, found.pk])
                + (f"#c{made.pk}" if made.visibility == Visibility.PUBLISHED else "")
            )
    return _render_suggestion(request, workspace, found, form, status=400)


FLAG_KINDS = ("suggestion", "comment", "question", "answer", "photo")


def _flag_target(workspace: Workspace, kind: str, pk: int) -> tuple[dict[str, Any], str]:
    """The published item a "Flag this" names (404 if not public), as `posts.report`'s
    keyword argument, and the page to go back to."""
    if kind == "suggestion":
        suggestion = queries.access_suggestion(workspace, pk)
        return {"suggestion": suggestion}, reverse(
            "community_public:suggestion", args=[workspace.slug, suggestion.pk]
        )
    if kind == "comment":
        comment_row = queries.access_comment(workspace, pk)
        return {"comment": comment_row}, reverse(
            "community_public:suggestion", args=[workspace.slug, comment_row.suggestion_id]
        )
    if kind == "question":
        fq = queries.access_fan_question(workspace, pk)
        return {"fan_question": fq}, reverse(
            "community_public:fan-question", args=[workspace.slug, fq.pk]
        )
    if kind == "answer":
        answer_row = queries.access_answer(workspace, pk, public=True)
        return {"answer": answer_row}, reverse(
            "community_public:fan-question", args=[workspace.slug, answer_row.fan_question_id]
        )
    photo = queries.access_photo(workspace, pk, public=True)
    return {"photo": photo}, reverse("community_public:photos", args=[workspace.slug])


@require_POST
def flag(request: HttpRequest, community: str) -> HttpResponse:
    """ "Flag this" on a published suggestion, comment, fan question, answer or photo:
    the form names one (`<kind>=<id>`) with a reason. With htmx the flag's own
    fragment is swapped for a thank-you; without, back to the page with a message."""
    workspace = queries.public_workspace(community)
    kind = next((k for k in FLAG_KINDS if request.POST.get(k, "").isdigit()), None)
    if kind is None:
        raise Http404("Nothing to flag")
    pk = int(request.POST[kind])
    target, back = _flag_target(workspace, kind, pk)
    participant = _signed_in(request, workspace)
    if participant is None:
        if request.htmx:  # type: ignore[attr-defined]
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("community_public:signin", args=[workspace.slug])
            return response
        return _to_sign_in(workspace)
    reason = request.POST.get("reason", "").strip()
    if reason not in posts.FLAG_REASONS:
        reason = posts.FLAG_REASONS[-1]
    more = " ".join(request.POST.get("more", "").split())
    posts.report(participant=participant, reason=f"{reason}: {more}" if more else reason, **target)
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "community/_flag.html",
            _context(request, workspace, kind=kind, pk=pk, flagged=True),
        )
    messages.success(request, "Thank you. A moderator will look at it.")
    return redirect(back)


@xframe_options_exempt
def embed(request: HttpRequest, community: str, number: int) -> HttpResponse:
    """The question for an iframe on the library's own site: results and a link to
    take part (signing in inside a third-party frame is not reliable, so it links out)."""
    workspace = queries.public_workspace(community)
    found = queries.access_question(workspace, number)
    context = _question_context(request, workspace, found)
    context["suggestions"] = context["suggestions"][:5]
    return render(request, "community/public_embed.html", context)


# Sign-in ---------------------------------------------------------------------------


class SignInForm(forms.Form):
    display_name = forms.CharField(
        label="Your name as others will see it",
        max_length=60,
        required=False,
        help_text="A first name is fine.",
    )
    email = forms.EmailField(label="Email address", required=False)
    phone = forms.CharField(label="Or a mobile number", required=False, max_length=32)


class CodeForm(forms.Form):
    phone = forms.CharField(widget=forms.HiddenInput)
    code = forms.CharField(label="The 6-digit code we texted you", max_length=6)


def _after_sign_in(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    target = request.session.pop(NEXT_KEY, "") or ""
    if (
        target
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and f"/c/{workspace.slug}/" in target
    ):
        return redirect(target)
    return redirect("community_public:home", workspace.slug)


def signin_page(request: HttpRequest, community: str) -> HttpResponse:
    workspace = queries.public_workspace(community)
    form = SignInForm(request.POST or None)
    if request.method == "GET" and request.GET.get("next"):
        request.session[NEXT_KEY] = request.GET["next"]
    sent_to = ""
    code_form = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["email"]:
                signin.start_email_sign_in(
                    workspace,
                    email=data["email"],
                    display_name=data["display_name"],
                    link_for=lambda token: request.build_absolute_uri(
                        reverse("community_public:signin-link", args=[workspace.slug, token])
                    ),
                )
                sent_to = data["email"]
            elif data["phone"]:
                row = signin.start_sms_sign_in(
                    workspace, phone=data["phone"], display_name=data["display_name"]
                )
                code_form = CodeForm(initial={"phone": row.address})
            else:
                form.add_error("email", "Enter your email address, or a mobile number.")
        except CommunityError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
    return render(
        request,
        "community/public_signin.html",
        _context(request, workspace, form=form, sent_to=sent_to, code_form=code_form),
        status=400 if request.method == "POST" and form.errors else 200,
    )


@require_POST
def signin_code(request: HttpRequest, community: str) -> HttpResponse:
    workspace = queries.public_workspace(community)
    code_form = CodeForm(request.POST)
    if code_form.is_valid():
        try:
            participant = signin.finish_sms_sign_in(
                workspace,
                phone=code_form.cleaned_data["phone"],
                code=code_form.cleaned_data["code"],
            )
        except CommunityError as error:
            code_form.add_error("code", error.message)
        else:
            queries.sign_in(request, participant)
            messages.success(request, f"Welcome, {participant.display_name}.")
            return _after_sign_in(request, workspace)
    return render(
        request,
        "community/public_signin.html",
        _context(request, workspace, form=SignInForm(), code_form=code_form),
        status=400,
    )


def signin_link(request: HttpRequest, community: str, token: str) -> HttpResponse:
    """GET shows a button; POST signs in. Mail scanners that open links (GET) so do
    not use up the single-use link before its owner does."""
    workspace = queries.public_workspace(community)
    error = ""
    if request.method == "POST":
        try:
            participant = signin.finish_email_sign_in(workspace, token=token)
        except CommunityError as refused:
            error = refused.message
        else:
            queries.sign_in(request, participant)
            messages.success(request, f"Welcome, {participant.display_name}. You are signed in.")
            return _after_sign_in(request, workspace)
    return render(
        request,
        "community/public_signin_link.html",
        _context(request, workspace, error=error),
        status=400 if error else 200,
    )


@require_POST
def signout(request: HttpRequest, community: str) -> HttpResponse:
    workspace = queries.public_workspace(community)
    queries.sign_out(request, workspace)
    return redirect("community_public:home", workspace.slug)


# Fans answer fans ------------------------------------------------------------------


class AskForm(forms.Form):
    title = forms.CharField(label="Your question", max_length=200)
    body = forms.CharField(
        label="Details", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AnswerForm(forms.Form):
    body = forms.CharField(label="Your answer", widget=forms.Textarea(attrs={"rows": 3}))


def ask_list(request: HttpRequest, community: str) -> HttpResponse:
    workspace = queries.public_workspace(community)
    form = AskForm(request.POST or None)
    if request.method == "POST":
        participant = _signed_in(request, workspace)
        if participant is None:
            return _to_sign_in(workspace)
        if form.is_valid():
            try:
                made = answers.ask(
                    workspace,
                    participant=participant,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                )
            except CommunityError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                if made.visibility == Visibility.HELD:
                    messages.warning(request, "Your question is waiting for a moderator.")
                    return redirect("community_public:ask", workspace.slug)
                return redirect("community_public:fan-question", workspace.slug, made.pk)
    return render(
        request,
        "community/public_ask.html",
        _context(request, workspace, fan_questions=queries.fan_questions(workspace), form=form),
        status=400 if form.errors else 200,
    )


def fan_question(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    workspace = queries.public_workspace(community)
    found = queries.access_fan_question(workspace, pk)
    form = AnswerForm(request.POST or None)
    if request.method == "POST":
        participant = _signed_in(request, workspace)
        if participant is None:
            return _to_sign_in(workspace)
        if form.is_valid():
            try:
                made = answers.answer(
                    found, participant=participant, body=form.cleaned_data["body"]
                )
            except CommunityError as error:
                form.add_error("body" if error.field == "body" else None, error.message)
            else:
                if made.visibility == Visibility.HELD:
                    messages.warning(request, "Your answer is waiting for a moderator.")
                return redirect("community_public:fan-question", workspace.slug, found.pk)
    return render(
        request,
        "community/public_fan_question.html",
        _context(
            request,
            workspace,
            fq=found,
            answers=queries.published_answers(found),
            form=form,
        ),
        status=400 if form.errors else 200,
    )


# Photos ----------------------------------------------------------------------------


class PhotoForm(forms.Form):
    photo = forms.FileField(label="Your photo")
    caption = forms.CharField(label="What is it?", max_length=200, required=False)
    credit = forms.CharField(label="Credit me as", max_length=80, help_text="e.g. “Sam R.”")
    consent = forms.BooleanField(
        label="I took this photo and agree that the library may publish it here with my credit.",
        required=False,
    )


def photos(request: HttpRequest, community: str) -> HttpResponse:
    workspace = queries.public_workspace(community)
    participant = queries.current_participant(request, workspace)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if participant is None:
            return _to_sign_in(workspace)
        if form.is_valid():
            try:
                photo_actions.share_photo(
                    participant,
                    data=form.cleaned_data["photo"].read(),
                    caption=form.cleaned_data["caption"],
                    credit=form.cleaned_data["credit"],
                    consent=form.cleaned_data["consent"],
                )
            except CommunityError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, "Thank you! Staff will publish it after a look.")
                return redirect("community_public:photos", workspace.slug)
    elif participant is not None:
        form = PhotoForm(initial={"credit": participant.display_name})
    return render(
        request,
        "community/public_photos.html",
        _context(request, workspace, photos=queries.approved_photos(workspace), form=form),
        status=400 if form.errors else 200,
    )


def photo_file(request: HttpRequest, community: str, pk: int, size: str) -> FileResponse:
    """A published photo's bytes (approved ones only; others are 404)."""
    workspace = queries.public_workspace(community)
    found = queries.access_photo(workspace, pk, public=True)
    return queries.photo_response(found, size)
