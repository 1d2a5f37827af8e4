""" "Flag this" in Chromium: a signed-in customer flags an answer and a photo with a
reason; htmx swaps the flag for a thank-you without leaving the page, and a moderator
sees the reasons in the review queue once three people flagged the answer."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from frontdesk.community.actions import answers, photos, posts
from frontdesk.community.actions.signin import participant_for
from frontdesk.community.models import Report, Visibility
from frontdesk.community.tests.test_photos import phone_photo
from frontdesk.core.models import IdentityKind

pytestmark = [pytest.mark.browser]
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API keeps an event loop running in this thread; the ORM calls
    here are ordinary blocking calls between page steps."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


def _person(workspace, name: str):
    address = f"{name.lower().replace(' ', '.')}@patrons.example"
    return participant_for(workspace, IdentityKind.EMAIL, address, name)


def test_customer_flags_an_answer_and_a_photo_moderator_sees_why(
    transactional_db, cast, riverside, live_server, new_page, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    fq = answers.ask(riverside, participant=_person(riverside, "Asker"), title="Parking?")
    reply = answers.answer(
        fq, participant=_person(riverside, "Replier"), body="Cheap pills at pills.example"
    )
    shared = photos.share_photo(
        _person(riverside, "Pia"), data=phone_photo(), caption="Garden", credit="Pia", consent=True
    )
    photos.decide_photo(shared, by=cast["moderator"], approve=True)
    for name in ("Ann", "Ben"):
        posts.report(
            participant=_person(riverside, name), reason="Spam or advertising", answer=reply
        )

    # Fran is signed in to the community (a session as the sign-in leaves it).
    fran = _person(riverside, "Fran")
    signed_in = Client()
    session = signed_in.session
    session["community_participant"] = {str(riverside.pk): fran.pk}
    session.save()
    base = live_server.url
    page = new_page(width=390, height=844)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base}]
    )

    url = f"{base}/c/{riverside.slug}/ask/{fq.pk}/"
    page.goto(url)
    answer_flag = page.locator(f"#flag-answer-{reply.pk}")
    answer_flag.get_by_text("Flag this").click()
    answer_flag.get_by_label("What is wrong with it?").select_option("Rude, abusive or hateful")
    answer_flag.get_by_label("Anything to add? (optional)").fill("selling pills")
    screenshot(page, "community-flag-open-phone")
    answer_flag.get_by_role("button", name="Send to a moderator").click()
    thanks = page.locator(f"#flag-answer-{reply.pk}").get_by_text("Thank you for flagging this")
    thanks.wait_for()
    assert page.url == url  # swapped in place by htmx, no page load
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    reply.refresh_from_db()
    assert reply.visibility == Visibility.HELD  # the third person's flag
    assert Report.objects.get(answer=reply, reporter=fran).reason == (
        "Rude, abusive or hateful: selling pills"
    )

    page.goto(f"{base}/c/{riverside.slug}/photos/")
    photo_flag = page.locator(f"#flag-photo-{shared.pk}")
    photo_flag.get_by_text("Flag this").click()
    photo_flag.get_by_role("button", name="Send to a moderator").click()
    page.locator(f"#flag-photo-{shared.pk}").get_by_text("Thank you").wait_for()
    assert Report.objects.get(photo=shared).reason == "Rude, abusive or hateful"

    staff_page = new_page(width=1366, height=900)
    staff_page.goto(f"{base}/login/")
    staff_page.get_by_label("Email").fill(cast["moderator"].user.email)
    staff_page.get_by_label("Password").fill(PASSWORD)
    staff_page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    staff_page.wait_for_url(re.compile(r"/w/riverside/"))
    staff_page.goto(f"{base}/w/{riverside.slug}/community/moderation/")
    held = staff_page.locator(f"#held-answer-{reply.pk}")
    assert held.get_by_text("Held after 3 people flagged it.").is_visible()
    assert held.get_by_text("Flagged by 3 people").is_visible()
    assert held.get_by_text("Rude, abusive or hateful: selling pills").is_visible()
    screenshot(staff_page, "community-queue-flagged-answer")
