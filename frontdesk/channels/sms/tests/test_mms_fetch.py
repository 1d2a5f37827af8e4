"""Fetching an MMS picture from Twilio (the loopback stand-in) when Twilio misbehaves:
temporary errors are retried with backoff, refusals are shown to staff (issue 20,
item 13)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from PIL import Image

from frontdesk.channels.sms.tests.phone import SmsHooks
from frontdesk.core.tests.photos import CAMERA, metadata_of, photo_with_gps
from frontdesk.inbox import intake
from frontdesk.inbox.models import Attachment

# Fixtures: sms_hooks (an SMS channel whose webhooks Twilio reaches on the live server).
pytest_plugins = ["frontdesk.channels.sms.tests.webhooks"]


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 9), (30, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _empty_schedule():
    HUEY.flush()
    yield
    HUEY.flush()


def scheduled_fetches() -> list[tuple]:
    return [task.args for task in HUEY.scheduled() if task.name.endswith("fetch_attachment")]


def page_of(client, attachment: Attachment) -> str:
    number = attachment.message.conversation.number
    url = reverse("inbox:conversation", kwargs={"ws": "riverside", "number": number})
    return client.get(url).content.decode()


def test_a_5xx_is_retried_with_backoff_and_the_retry_fetches_it(
    sms_hooks: SmsHooks, client_for, cast
):
    sms_hooks.standin.fail_next(500, on="media")
    before = timezone.now()
    assert sms_hooks.text("My library card", media=[("image/jpeg", jpeg())]).status_code == 200

    attachment = Attachment.objects.get()
    assert attachment.pending_fetch and not attachment.file
    assert attachment.fetch_attempts == 1
    assert "HTTP 500" in attachment.fetch_error
    assert attachment.next_fetch_at >= before + intake.fetch_backoff(1)
    # The retry is on the queue, for when the backoff is over.
    assert scheduled_fetches() == [(attachment.pk,)]
    page = page_of(client_for(cast["agent"]), attachment)
    assert "data-fetch-retrying" in page
    assert "Twilio could not send the media (HTTP 500); will try again." in page

    # What the scheduled task runs when it is due: Twilio answers this time.
    intake.fetch_attachment(attachment.pk)
    attachment.refresh_from_db()
    assert (attachment.pending_fetch, attachment.fetch_error) == (False, "")
    assert attachment.file and attachment.content_type == "image/jpeg"
    page = page_of(client_for(cast["agent"]), attachment)
    assert reverse("inbox:attachment", kwargs={"ws": "riverside", "pk": attachment.pk}) in page
    assert "fetching…" not in page


def test_the_backoff_doubles():
    waits = [intake.fetch_backoff(n) for n in range(1, 5)]
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert intake.fetch_backoff(50) == intake.FETCH_BACKOFF_MAX


@pytest.mark.parametrize("status", [429, 503])
def test_rate_limits_and_outages_are_temporary(sms_hooks: SmsHooks, status):
    sms_hooks.standin.fail_next(status, on="media")
    sms_hooks.text("", media=[("image/jpeg", jpeg())])
    attachment = Attachment.objects.get()
    assert attachment.pending_fetch
    assert f"HTTP {status}" in attachment.fetch_error


def test_a_timeout_is_temporary(sms_hooks: SmsHooks, settings):
    settings.SMS_API_TIMEOUT_SECONDS = 0.3
    sms_hooks.standin.stall_next(5, on="media")
    sms_hooks.text("", media=[("image/jpeg", jpeg())])
    attachment = Attachment.objects.get()
    assert attachment.pending_fetch
    assert attachment.fetch_error == "Twilio did not send the media in time; will try again."
    assert scheduled_fetches() == [(attachment.pk,)]


def test_a_refused_fetch_shows_its_reason_instead_of_fetching_forever(
    sms_hooks: SmsHooks, client_for, cast
):
    sms_hooks.standin.fail_next(404, on="media")
    sms_hooks.text("See attached", media=[("image/jpeg", jpeg())])
    attachment = Attachment.objects.get()
    assert (attachment.pending_fetch, attachment.fetch_failed) == (False, True)
    assert attachment.fetch_error == "The media no longer exists at Twilio."
    assert scheduled_fetches() == []  # nothing will try again
    page = page_of(client_for(cast["agent"]), attachment)
    assert "data-fetch-failed" in page
    assert "Not fetched: The media no longer exists at Twilio." in page
    assert "fetching…" not in page
    # A task that runs late changes nothing.
    assert intake.fetch_attachment(attachment.pk) is None


def test_after_the_last_try_it_gives_up_and_says_so(sms_hooks: SmsHooks):
    sms_hooks.standin.fail_next(503, on="media")
    sms_hooks.text("", media=[("image/jpeg", jpeg())])
    attachment = Attachment.objects.get()
    for _ in range(intake.MAX_FETCH_ATTEMPTS - 1):
        sms_hooks.standin.fail_next(503, on="media")
        intake.fetch_attachment(attachment.pk)
    attachment.refresh_from_db()
    assert attachment.fetch_attempts == intake.MAX_FETCH_ATTEMPTS
    assert not attachment.pending_fetch
    assert attachment.fetch_error.startswith(f"Gave up after {intake.MAX_FETCH_ATTEMPTS} tries: ")


def test_the_sweep_picks_up_a_due_retry_whose_task_was_lost(sms_hooks: SmsHooks):
    sms_hooks.standin.fail_next(500, on="media")
    sms_hooks.text("", media=[("image/jpeg", jpeg())])
    HUEY.flush()  # the scheduled retry is lost (a queue emptied, a worker gone)
    attachment = Attachment.objects.get()
    assert intake.sweep_attachment_fetches() == 0  # not due yet
    later = attachment.next_fetch_at + intake.FETCH_GRACE + timedelta(seconds=1)
    assert intake.sweep_attachment_fetches(now=later) == 1  # runs inline in tests
    attachment.refresh_from_db()
    assert attachment.file and not attachment.pending_fetch


def test_an_mms_photo_is_kept_without_gps_under_the_extension_of_its_real_type(
    sms_hooks: SmsHooks,
):
    # Twilio names the media by its own id; the phone said PNG, the bytes are a JPEG.
    sms_hooks.text("Found your cat!", media=[("image/png", photo_with_gps())])
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/jpeg"
    assert attachment.filename.endswith(".jpg") and attachment.file.name.endswith(".jpg")
    with attachment.file.open("rb") as stored:
        kept = stored.read()
    assert metadata_of(kept)["gps"] == {} and CAMERA.encode() not in kept
