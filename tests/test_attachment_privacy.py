"""Customers' files are served only to signed-in staff (issue 20, item 12): never from
/media/, not even through the API's links; only staff photos are public."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from frontdesk.api.actions import create_api_token
from frontdesk.connectors import base
from frontdesk.core.actions.team import update_profile
from frontdesk.core.tests.photos import CAMERA, metadata_of, photo_with_gps
from frontdesk.inbox import actions
from frontdesk.inbox.intake import store_inbound_event
from frontdesk.inbox.models import Attachment, Channel, Conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo_message(riverside, django_capture_on_commit_callbacks) -> Attachment:
    """A patron's photo, stored through intake as the web form stores one."""
    channel = Channel.objects.create(workspace=riverside, kind="webform", name="Contact form")
    event = base.InboundEvent(
        channel_kind="webform",
        provider_message_id=str(uuid.uuid4()),
        sender_kind="email",
        sender_address="ana@example.org",
        body="The printer ate my card",
        received_at=timezone.now(),
        attachments=(
            base.InboundAttachment(
                filename="printer.jpg", content_type="image/jpeg", size=0, data=photo_with_gps()
            ),
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        store_inbound_event(channel, event)
    return Attachment.objects.get()


def test_no_media_url_serves_a_customers_file(photo_message, client_for, cast):
    path = f"/media/{photo_message.file.name}"
    with pytest.raises(Resolver404):
        resolve(path)
    signed_in = client_for(cast["owner"])
    assert signed_in.get(path).status_code == 404
    assert Client().get(path).status_code == 404


def test_the_signed_in_view_serves_it_sandboxed_and_only_to_its_workspace(
    photo_message, client_for, cast
):
    url = reverse("inbox:attachment", kwargs={"ws": "riverside", "pk": photo_message.pk})
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    response = client_for(cast["agent"]).get(url)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    served = b"".join(response.streaming_content)
    assert metadata_of(served)["gps"] == {} and CAMERA.encode() not in served
    outsider = client_for(cast["outsider"]).get(url)
    assert outsider.status_code in (403, 404)


def test_the_api_links_to_the_signed_in_view_not_to_media(photo_message, cast):
    _token, plaintext = create_api_token(cast["agent"], name="script")
    api = Client(headers={"Authorization": f"Bearer {plaintext}"})
    number = photo_message.message.conversation.number
    data = api.get(f"/api/v1/conversations/{number}/messages").json()
    [attachment] = [a for m in data["items"] for a in m["attachments"]]
    expected = "http://testserver" + reverse(
        "inbox:attachment", kwargs={"ws": "riverside", "pk": photo_message.pk}
    )
    assert attachment["url"] == expected
    assert "/media/" not in str(data)
    assert attachment["fetch_error"] == ""


def test_staff_photos_stay_public_for_the_web_forms_thank_you(cast, riverside):
    maya = cast["agent"]
    photo = SimpleUploadedFile("me.jpg", photo_with_gps(size=(64, 64)), content_type="image/jpeg")
    update_profile(
        maya,
        display_name=maya.display_name,
        title="",
        signature="",
        sms_sign_off="",
        photo=photo,
        notify_by_email=False,
    )
    maya.refresh_from_db()
    assert maya.photo.url.startswith("/media/staff/")
    response = Client().get(maya.photo.url)
    assert response.status_code == 200
    assert metadata_of(b"".join(response.streaming_content))["gps"] == {}


def test_a_staff_upload_is_stored_as_the_type_its_bytes_are(photo_message, cast):
    conversation = Conversation.objects.get()
    fake = SimpleUploadedFile(
        "minutes.jpg", b"<html><script>x()</script>", content_type="image/jpeg"
    )
    photo = SimpleUploadedFile("from-my-phone.png", photo_with_gps(), content_type="image/png")
    reply = actions.send_reply(
        conversation, body="See attached", by=cast["agent"], attachments=[fake, photo]
    )
    stored = {a.filename: a for a in reply.attachments.all()}
    assert set(stored) == {"minutes.bin", "from-my-phone.jpg"}
    assert stored["minutes.bin"].content_type == "application/octet-stream"
    assert stored["from-my-phone.jpg"].content_type == "image/jpeg"
    with stored["from-my-phone.jpg"].file.open("rb") as handle:
        assert metadata_of(handle.read())["gps"] == {}
