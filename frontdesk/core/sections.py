"""Landing pages of sections whose apps are not built yet: what each will do, said
plainly. An app that is not finished mounts `section` as its index until its own
pages land (frontdesk/listening, outreach and community start so)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# Sections whose apps come in later versions: what each will do, said plainly.
SECTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "listening": (
        "Listening",
        "Hear what people say about your library online, and answer early.",
        (
            "Watch blogs, news and search feeds, Mastodon, Bluesky, Reddit and Hacker News "
            "for your library's names.",
            "Flag unhappy mentions first, so staff can reach out the same day.",
            "Turn a mention into a conversation with its author in one click.",
        ),
    ),
    "outreach": (
        "Outreach",
        "Notices and newsletters that come from a person, with replies back in the inbox.",
        (
            "Welcome messages, newsletters and library notices (hold ready, overdue) "
            "signed by a named member of staff.",
            "Replies land in the inbox as conversations, assigned to that person.",
            "Consent, one-click unsubscribe and bounces handled; each message sent once.",
        ),
    ),
    "community": (
        "Community",
        "Ask your community, let them suggest and vote, and credit their ideas.",
        (
            "Questions and polls on a public page; suggestions merged, voted on and "
            "answered with a status.",
            "Patrons answer each other's questions and share photos, with consent.",
            "Civil moderation: abusive posts flagged for review.",
        ),
    ),
    "insights": (
        "Insights",
        "How your library is doing at hearing and answering people.",
        (
            "Volumes by channel, response times against your targets, sentiment over time.",
            "Top topics and mentions; charts on a dashboard and CSV exports.",
            "A weekly digest email for staff.",
        ),
    ),
}


def section(request: HttpRequest, *, name: str) -> HttpResponse:
    """A section's landing page until its app is installed (later issues replace these)."""
    title, blurb, plans = SECTIONS[name]
    context = {"title": title, "blurb": blurb, "plans": plans, "section": name}
    return render(request, "core/section.html", context)
