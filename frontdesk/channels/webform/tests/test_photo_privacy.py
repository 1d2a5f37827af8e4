"""A patron's web-form photo is kept without its EXIF/GPS metadata, under the extension
of the type it really is (issue 20, item 12)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from frontdesk.core.tests.photos import CAMERA, metadata_of, photo_with_gps
from frontdesk.inbox.models import Attachment

pytestmark = pytest.mark.django_db


def test_a_form_photo_loses_its_gps_position(send_form, ana):
    sent = photo_with_gps()
    assert metadata_of(sent)["gps"]
    send_form(ana | {"photo": SimpleUploadedFile("IMG_0042.jpg", sent, content_type="image/jpeg")})
    [attachment] = Attachment.objects.all()
    with attachment.file.open("rb") as stored:
        kept = stored.read()
    found = metadata_of(kept)
    assert (found["exif"], found["gps"]) == ({}, {})
    assert CAMERA.encode() not in kept
    assert attachment.size == len(kept)
    assert (attachment.content_type, attachment.filename) == ("image/jpeg", "IMG_0042.jpg")


def test_the_stored_extension_is_the_pictures_own_not_the_uploaded_name(send_form, ana):
    # A JPEG named .png (as phones and browsers do): stored and served as the JPEG it is.
    upload = SimpleUploadedFile("holiday.png", photo_with_gps(), content_type="image/png")
    send_form(ana | {"photo": upload})
    [attachment] = Attachment.objects.all()
    assert (attachment.content_type, attachment.filename) == ("image/jpeg", "holiday.jpg")
    assert attachment.file.name.endswith("/holiday.jpg")
