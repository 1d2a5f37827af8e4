from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from frontdesk.core.models import Membership

pytestmark = pytest.mark.django_db

PROFILE = "/w/riverside/settings/profile/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def photo_upload(name="me.jpg", *, size=(900, 600), fmt="JPEG", exif_gps=False):
    image = Image.new("RGB", size, (200, 120, 60))
    buffer = BytesIO()
    kwargs = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPSInfo
        exif[0x010F] = "PhoneMaker"  # Make
        kwargs["exif"] = exif
    image.save(buffer, format=fmt, **kwargs)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def profile_data(**overrides):
    data = {
        "display_name": "Maya Patel",
        "title": "Youth Services Librarian",
        "signature": "Maya Patel\nRiverside Public Library",
        "sms_sign_off": "– Maya",
        "notify_by_email": "on",
    }
    return data | overrides


def test_every_member_can_open_their_profile(client_for, cast):
    for role in ("owner", "admin", "agent", "moderator"):
        response = client_for(cast[role]).get(PROFILE)
        assert response.status_code == 200, role
        assert cast[role].display_name in response.content.decode()


def test_profile_form_labels_every_input(client_for, cast):
    body = client_for(cast["agent"]).get(PROFILE).content.decode()
    for field in ("display_name", "title", "photo", "signature", "sms_sign_off", "notify_by_email"):
        assert f'for="id_{field}"' in body, field
    assert 'enctype="multipart/form-data"' in body
    assert 'accept="image/gif,image/jpeg,image/png,image/webp"' in body


def test_saving_the_profile_changes_what_customers_see(client_for, cast):
    client = client_for(cast["agent"])
    response = client.post(
        PROFILE,
        profile_data(display_name="  Maya   P. ", title="Teen Librarian", notify_by_email=""),
    )
    assert response.status_code == 302
    maya = Membership.objects.get(pk=cast["agent"].pk)
    assert maya.display_name == "Maya P."
    assert maya.title == "Teen Librarian"
    assert maya.signature == "Maya Patel\nRiverside Public Library"
    assert maya.sms_sign_off == "– Maya"
    assert maya.notify_by_email is False
    page = client.get(PROFILE).content.decode()
    assert "Profile saved" in page
    assert "Your hold is ready to pick up. – Maya" in page


def test_a_photo_is_stored_small_and_without_its_location(client_for, cast, settings):
    client = client_for(cast["agent"])
    response = client.post(PROFILE, profile_data(photo=photo_upload(exif_gps=True)))
    assert response.status_code == 302
    maya = Membership.objects.get(pk=cast["agent"].pk)
    assert maya.photo.name.startswith("staff/")
    stored = settings.MEDIA_ROOT / maya.photo.name
    with Image.open(stored) as image:
        assert max(image.size) <= 512
        assert not image.getexif()
    assert maya.photo.url in client.get(PROFILE).content.decode()


def test_replacing_and_removing_a_photo_deletes_the_old_file(
    client_for, cast, settings, django_capture_on_commit_callbacks
):
    client = client_for(cast["agent"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE, profile_data(photo=photo_upload()))
    first = settings.MEDIA_ROOT / Membership.objects.get(pk=cast["agent"].pk).photo.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE, profile_data(photo=photo_upload("two.png", fmt="PNG")))
    second = settings.MEDIA_ROOT / Membership.objects.get(pk=cast["agent"].pk).photo.name
    assert not first.exists() and second.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE, profile_data(remove_photo="on"))
    assert not Membership.objects.get(pk=cast["agent"].pk).photo
    assert not second.exists()


def test_a_photo_over_2_mb_is_refused(client_for, cast):
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (2 * 1024 * 1024), "image/jpeg")
    response = client_for(cast["agent"]).post(PROFILE, profile_data(photo=big))
    body = response.content.decode()
    assert response.status_code == 400
    assert "larger than 2 MB" in body
    assert 'aria-describedby="id_photo_helptext id_photo_error"' in body
    assert not Membership.objects.get(pk=cast["agent"].pk).photo


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.jpg", b"this is not an image at all"),
        ("page.png", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_a_file_that_is_not_an_image_is_refused(client_for, cast, name, content):
    upload = SimpleUploadedFile(name, content, "image/jpeg")
    response = client_for(cast["agent"]).post(PROFILE, profile_data(photo=upload))
    assert response.status_code == 400
    assert "isn’t an image we can read" in response.content.decode()
    assert not Membership.objects.get(pk=cast["agent"].pk).photo


def test_an_image_format_we_do_not_take_is_refused(client_for, cast):
    upload = photo_upload("me.bmp", fmt="BMP")
    response = client_for(cast["agent"]).post(PROFILE, profile_data(photo=upload))
    assert response.status_code == 400
    assert "JPEG, PNG, GIF or WebP" in response.content.decode()


def test_an_empty_name_is_refused(client_for, cast):
    response = client_for(cast["agent"]).post(PROFILE, profile_data(display_name="   "))
    assert response.status_code == 400
    assert Membership.objects.get(pk=cast["agent"].pk).display_name == "Maya Patel"


def test_the_preview_shows_typed_values_without_saving(client_for, cast):
    response = client_for(cast["agent"]).post(
        f"{PROFILE}preview/",
        {
            "display_name": "Maya the Librarian",
            "title": "",
            "signature": "Cheers,\nMaya",
            "sms_sign_off": "- M",
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Maya the Librarian" in body and "Cheers," in body and "ready to pick up. - M" in body
    assert "<html" not in body
    assert Membership.objects.get(pk=cast["agent"].pk).display_name == "Maya Patel"
