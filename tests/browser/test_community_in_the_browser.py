"""The issue's walk in Chromium: a customer signs in by a magic link caught by a real
SMTP server on loopback, suggests, is offered a similar suggestion and votes for it;
a moderator merges the duplicate, announces the choice and sees the credit, and
everyone who took part hears it through outreach, from the moderator, at the same
SMTP server."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from datetime import timedelta
from email.utils import parseaddr

import pytest
from django.utils import timezone

from frontdesk.community.actions import posts, staff
from frontdesk.community.actions.signin import participant_for
from frontdesk.community.models import QuestionKind, Suggestion, Vote
from frontdesk.core.models import IdentityKind
from frontdesk.outreach.actions.authoring import create_sender_identity
from frontdesk.outreach.tests.conftest import make_email_channel

pytestmark = [pytest.mark.browser]
PASSWORD = "correct horse battery staple"
LINK = re.compile(r"https?://\S+/signin/link/\S+/")


class SmtpSink:
    """aiosmtpd on a free loopback port, keeping every message it is sent."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = threading.Condition()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(parsed)
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 20) -> list:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API keeps an event loop running in this thread, so Django
    refuses ORM calls here unless told they are fine: this test's are ordinary
    blocking calls (and the database's set-up and flush) between page steps."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture
def make_participant():
    def make(workspace, name: str):
        address = f"{name.lower().replace(' ', '.')}@patrons.example"
        return participant_for(workspace, IdentityKind.EMAIL, address, name)

    return make


@pytest.fixture
def smtp_sink(settings):
    sink = SmtpSink()
    sink.controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    sink.controller.stop()


def test_customer_suggests_and_votes_staff_merges_and_announces(
    transactional_db,
    cast,
    riverside,
    make_participant,
    live_server,
    new_page,
    screenshot,
    smtp_sink,
):
    riverside.brand_color = "#2d5aa8"
    riverside.save()
    # The moderator sends community updates through outreach, via the desk's email
    # channel, which delivers to the same sink.
    desk = make_email_channel(riverside, port=smtp_sink.port, by=cast["owner"])
    create_sender_identity(member=cast["moderator"], email_channel=desk, by=cast["owner"])
    question = staff.create_question(
        riverside,
        by=cast["moderator"],
        title="Which album should be on sale for a day? And why?",
        body="One album, half price, for one Saturday in March. You choose.",
        kind=QuestionKind.SUGGESTIONS,
        closes_at=timezone.now() + timedelta(days=10),
    )
    sam = make_participant(riverside, "Sam Rivera")
    jo = make_participant(riverside, "Jo Chen")
    kim = make_participant(riverside, "Kim Park")
    original = posts.suggest(question, participant=sam, text="Best of Talking Heads")
    duplicate = posts.suggest(question, participant=jo, text="Talking Heads - the best of")
    other = posts.suggest(question, participant=kim, text="Kind of Blue by Miles Davis")
    posts.suggest(question, participant=jo, text="Anything by Nina Simone, she deserves it")
    Suggestion.objects.filter(pk=original.pk).update(created_at=timezone.now() - timedelta(days=2))
    voters = [make_participant(riverside, f"Voter {i}") for i in range(4)]
    for v in voters[:3]:
        posts.vote(original, participant=v)
    for v in voters[2:]:
        posts.vote(duplicate, participant=v)  # Voter 2 voted for both
    for v in (sam, jo):
        posts.vote(other, participant=v)

    base = live_server.url
    url = f"{base}/c/{riverside.slug}/q/{question.number}/"
    page = new_page(width=1366, height=900)
    page.goto(url)
    assert page.get_by_role("heading", level=1, name=re.compile("Which album")).is_visible()
    page.get_by_role("link", name="Join in to suggest and vote").click()
    page.get_by_label("Your name as others will see it").fill("Ana Lopez")
    page.get_by_label("Email address").fill("ana@patrons.example")
    page.get_by_role("button", name="Send me a sign-in link").click()
    assert page.get_by_text("Check your email").is_visible()

    (message,) = smtp_sink.wait_for(1)
    assert message["To"] == "ana@patrons.example"
    link = LINK.search(message.get_content()).group(0)
    page.goto(link)
    page.get_by_role("button", name="Sign in and continue").click()
    page.wait_for_url(url)
    assert page.get_by_text("Hi, Ana Lopez").is_visible()

    page.get_by_label("Your suggestion").fill("The best of the Talking Heads!")
    page.get_by_role("button", name="Post my suggestion").click()
    offer = page.get_by_role("alert")
    assert "already suggested — vote for it instead?" in offer.inner_text()
    assert "Best of Talking Heads" in offer.inner_text()
    offer.get_by_role("button", name="Vote for Best of Talking Heads").click()
    offer.get_by_role("button", name="Remove your vote for Best of Talking Heads").wait_for()
    assert Suggestion.objects.filter(question=question).count() == 4  # nothing new posted
    ana = Vote.objects.get(suggestion=original, participant__display_name="Ana Lopez")
    assert ana.participant.contact.identities.get().value == "ana@patrons.example"

    page.goto(url)
    screenshot(page, "community-question-desktop")
    phone = new_page(width=390, height=844)
    phone.goto(url)
    screenshot(phone, "community-question-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # A moderator merges the duplicate and announces the choice.
    staff_page = new_page(width=1366, height=900)
    staff_page.goto(f"{base}/login/")
    staff_page.get_by_label("Email").fill(cast["moderator"].user.email)
    staff_page.get_by_label("Password").fill(PASSWORD)
    staff_page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    staff_page.wait_for_url(re.compile(r"/w/riverside/"))
    staff_page.goto(f"{base}/w/{riverside.slug}/community/q/{question.number}/")
    staff_page.get_by_label("Duplicate", exact=True).select_option(label=f"{duplicate.text} (2)")
    staff_page.get_by_label("Merge into").select_option(label=f"{original.text} (4)")
    staff_page.get_by_role("button", name=re.compile("Merge, keeping all votes")).click()
    row = staff_page.locator(f"#staff-s{original.pk} [data-votes]")
    assert row.inner_text() == "5"  # Voters 0-3 and Ana, Voter 2 once
    staff_page.get_by_label("The community's choice").select_option(value=f"s:{original.pk}")
    staff_page.get_by_label("Message to the community (optional)").fill(
        "Half price on Saturday 14 March. Thank you!"
    )
    staff_page.get_by_label("Tell everyone who took part (email or text)").check()
    staff_page.get_by_role("button", name="Close and announce").click()
    credit = "Chosen by 5 of you, first suggested by Sam Rivera"
    assert staff_page.locator("#announcement").get_by_text(credit).is_visible()
    screenshot(staff_page, "community-staff-announced")

    # Everyone who suggested or voted hears it, once each: Sam, Jo, Kim, Voters 0-3, Ana.
    received = smtp_sink.wait_for(1 + 8)
    announced = [m for m in received if m["Subject"] == "You chose: Best of Talking Heads"]
    assert len(announced) == 8
    assert credit in announced[0].get_body(("plain",)).get_content()
    assert parseaddr(announced[0]["From"])[0] == "Mo Okafor via Riverside Public Library"
    page.goto(url)
    assert page.get_by_text(credit + ".").is_visible()
    screenshot(page, "community-question-announced")
