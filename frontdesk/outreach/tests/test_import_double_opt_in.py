"""Double opt-in after a CSV import: each subscription the import left pending gets
one confirmation mail (at a real SMTP server on loopback), and the person gets
nothing of that topic until they press the button behind its link."""

from __future__ import annotations

import re
from email.utils import parseaddr
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from frontdesk.core.actions.contacts import create_contact
from frontdesk.outreach import sending
from frontdesk.outreach.actions.campaigns import create_campaign, start_campaign
from frontdesk.outreach.actions.confirmations import external_id
from frontdesk.outreach.actions.imports import check_import, start_import, upload_import
from frontdesk.outreach.models import Notice, Subscription, SubscriptionStatus, Topic

pytestmark = pytest.mark.django_db

FILE = (
    b"Name,Email,Newsletter\n"
    b"Ana Lima,ana@example.org,yes\n"
    b"Ben Okafor,ben@example.org,no\n"
    b"Cy Young,cy@example.org,yes\n"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def newsletter(riverside) -> Topic:
    return Topic.objects.create(
        workspace=riverside, slug="newsletter", name="Riverside Newsletter", double_opt_in=True
    )


def _import(riverside, by, run_tasks) -> None:
    run = upload_import(
        riverside,
        kind="contacts",
        upload=SimpleUploadedFile("members.csv", FILE, "text/csv"),
        by=by,
    )
    assert run.mapping["Newsletter"] == "topic.newsletter"
    run_tasks(check_import, run, mapping=run.mapping, by=by)
    run_tasks(start_import, run, by=by)


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def _status(name: str, topic: Topic) -> str | None:
    row = Subscription.objects.filter(contact__name=name, topic=topic).first()
    return row.status if row else None


def _send_all() -> None:
    _sent, more = sending.send_due(budget_seconds=60)
    assert not more


def test_an_import_sends_each_pending_subscription_one_confirmation_and_holds_the_topic(
    cast, riverside, newsletter, maya_sender, welcome, smtp_sink, client, run_tasks
):
    # Cy is known already; the file subscribes him too.
    create_contact(riverside, name="Cy Young", identities=[("email", "cy@example.org")], by=None)
    _import(riverside, cast["agent"], run_tasks)
    assert _status("Ana Lima", newsletter) == SubscriptionStatus.PENDING
    assert _status("Cy Young", newsletter) == SubscriptionStatus.PENDING
    assert _status("Ben Okafor", newsletter) == SubscriptionStatus.UNSUBSCRIBED
    _send_all()

    mails = {parseaddr(m["To"])[1]: m for m in smtp_sink.messages()}
    assert sorted(mails) == ["ana@example.org", "cy@example.org"]
    ana = mails["ana@example.org"]
    assert ana["Subject"] == "Please confirm: Riverside Newsletter from Riverside Public Library"
    # From the importing member's sender identity, by name.
    assert parseaddr(ana["From"])[0].startswith("Maya Patel")
    text = ana.get_body(preferencelist=("plain",)).get_content()
    assert "Hi Ana," in text
    links = re.findall(r"https?://\S+/o/confirm/[^/\s]+/", text)
    assert len(links) == 1
    ana_sub = Subscription.objects.get(contact__name="Ana Lima", topic=newsletter)
    assert Notice.objects.filter(external_id=external_id(ana_sub.pk)).count() == 1

    # The same file again: nobody gets a second confirmation.
    _import(riverside, cast["agent"], run_tasks)
    _send_all()
    assert len(smtp_sink.received) == 2

    # Until they confirm, a newsletter reaches neither of them.
    def newsletter_campaign() -> None:
        campaign = create_campaign(
            name="News", sender=maya_sender, template=welcome, topic=newsletter, by=cast["agent"]
        )
        start_campaign(campaign, by=cast["agent"])
        _send_all()

    smtp_sink.received.clear()
    newsletter_campaign()
    assert smtp_sink.received == []

    # Ana follows her link: the GET (a link scanner, too) changes nothing; the
    # button's POST confirms.
    path = urlsplit(links[0]).path
    assert client.get(path).status_code == 200
    assert _status("Ana Lima", newsletter) == SubscriptionStatus.PENDING
    assert client.post(path).status_code == 200
    assert _status("Ana Lima", newsletter) == SubscriptionStatus.SUBSCRIBED
    assert _status("Cy Young", newsletter) == SubscriptionStatus.PENDING

    newsletter_campaign()
    assert [parseaddr(m["To"])[1] for m in smtp_sink.messages()] == ["ana@example.org"]


def test_without_a_sender_nothing_is_queued_and_the_subscription_stays_pending(
    cast, riverside, newsletter, smtp_sink, run_tasks
):
    # Nobody to send it from (no sender identity for the importer, no default sender).
    _import(riverside, cast["agent"], run_tasks)
    assert _status("Ana Lima", newsletter) == SubscriptionStatus.PENDING
    assert not Notice.objects.exists()
    _send_all()
    assert smtp_sink.received == []
