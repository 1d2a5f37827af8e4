"""The community's own settings page: moderators and admins change the code of
conduct and the rate limit; agents are refused; what is saved is what the public
page shows and what the next post is checked against."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontdesk.community.actions import answers, posts
from frontdesk.community.actions.common import CommunityError, settings_for
from frontdesk.community.actions.policy import update_community_settings
from frontdesk.community.models import ModerationAction
from frontdesk.core.errors import NotAllowed

pytestmark = pytest.mark.django_db

CONDUCT = "Be kind to each other.\nNo selling.\nTalk about books, music and the library."


def test_moderator_saves_settings_and_they_are_used(
    client_for, client, cast, riverside, question, make_suggestion, make_participant
):
    url = reverse("community:settings", kwargs={"ws": riverside.slug})
    moderator = client_for(cast["moderator"])
    page = moderator.get(url)
    assert page.status_code == 200 and "Code of conduct" in page.content.decode()
    index = moderator.get(reverse("community:index", kwargs={"ws": riverside.slug}))
    assert url in index.content.decode()
    saved = moderator.post(
        url, {"code_of_conduct": CONDUCT, "posts_per_window": "2", "window_minutes": "60"}
    )
    assert saved.status_code == 302

    policy = settings_for(riverside)
    assert (policy.code_of_conduct, policy.posts_per_window, policy.window_minutes) == (
        CONDUCT,
        2,
        60,
    )
    public = client.get(reverse("community_public:conduct", args=[riverside.slug]))
    assert "No selling." in public.content.decode()
    assert "Staff read every post" not in public.content.decode()  # the default is gone

    idea = make_suggestion(question, "Best of Talking Heads")
    eager = make_participant(riverside, "Eager")
    posts.comment(idea, participant=eager, body="First thought")
    answers.ask(riverside, participant=eager, title="Is jazz night good for kids?")
    with pytest.raises(CommunityError) as refused:  # questions count toward the limit too
        posts.comment(idea, participant=eager, body="Third thought")
    assert refused.value.code == "rate_limited"
    assert "2 times in 60 minutes" in refused.value.message


def test_agent_is_refused_and_bad_values_change_nothing(client_for, cast, riverside):
    url = reverse("community:settings", kwargs={"ws": riverside.slug})
    agent = client_for(cast["agent"])
    assert agent.get(url).status_code == 403
    good = {"code_of_conduct": CONDUCT, "posts_per_window": "2", "window_minutes": "5"}
    assert agent.post(url, good).status_code == 403
    with pytest.raises(NotAllowed):
        update_community_settings(
            riverside,
            by=cast["agent"],
            code_of_conduct=CONDUCT,
            posts_per_window=2,
            window_minutes=5,
        )
    settings_index = client_for(cast["agent"]).get(
        reverse("core:settings", kwargs={"ws": riverside.slug})
    )
    assert url not in settings_index.content.decode()

    admin = client_for(cast["admin"])
    assert (
        url in admin.get(reverse("core:settings", kwargs={"ws": riverside.slug})).content.decode()
    )
    for bad in (
        {**good, "code_of_conduct": "   "},
        {**good, "posts_per_window": "0"},
        {**good, "window_minutes": "100000"},
        {**good, "posts_per_window": "many"},
    ):
        refused = admin.post(url, bad)
        assert refused.status_code == 400
    policy = settings_for(riverside)
    assert (policy.posts_per_window, policy.window_minutes) == (6, 10)
    assert policy.code_of_conduct.startswith("Be kind.")
    assert not ModerationAction.objects.filter(kind=ModerationAction.Kind.SETTINGS).exists()


def test_a_change_is_in_the_moderation_log_with_who_and_what(client_for, cast, riverside):
    url = reverse("community:settings", kwargs={"ws": riverside.slug})
    default = settings_for(riverside).code_of_conduct
    edited = default.replace("Be kind.", "Be kind and patient.") + "\nNo selling."
    moderator = client_for(cast["moderator"])
    moderator.post(url, {"code_of_conduct": edited, "posts_per_window": "3", "window_minutes": "5"})
    # Saving the same values again changes nothing and logs nothing.
    moderator.post(url, {"code_of_conduct": edited, "posts_per_window": "3", "window_minutes": "5"})
    update_community_settings(
        riverside,
        by=cast["admin"],
        code_of_conduct=edited,
        posts_per_window=4,
        window_minutes=5,
    )
    entries = list(ModerationAction.objects.filter(kind=ModerationAction.Kind.SETTINGS))
    assert [(e.moderator, e.workspace_id) for e in entries] == [
        (cast["admin"], riverside.pk),
        (cast["moderator"], riverside.pk),
    ]
    assert entries[1].note.splitlines() == [
        "Rate limit: 6 posts per 10 minutes → 3 posts per 5 minutes.",
        "Code of conduct:",
        "− Be kind. Disagree with ideas, never with people.",
        "+ Be kind and patient. Disagree with ideas, never with people.",
        "+ No selling.",
    ]
    assert entries[0].note == "Rate limit: 3 posts per 5 minutes → 4 posts per 5 minutes."
    assert entries[0].created_at >= entries[1].created_at

    log = moderator.get(reverse("community:queue", kwargs={"ws": riverside.slug}))
    html = log.content.decode()
    assert html.count("Settings changed") == 2
    assert "Mo Okafor" in html and "Amir Haddad" in html
    assert "+ No selling." in html and "→ 4 posts per 5 minutes." in html
