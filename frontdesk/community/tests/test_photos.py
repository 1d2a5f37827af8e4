"""Community photos: consent and credit required, EXIF (GPS) stripped, a thumbnail
made, published only after staff approve."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from PIL import Image

from frontdesk.community.actions import photos
from frontdesk.community.actions.common import CommunityError
from frontdesk.community.models import ModerationAction, Photo
from frontdesk.core.errors import NotAllowed

GPS_IFD = 0x8825


def phone_photo() -> bytes:
    """A JPEG as a phone writes it: camera make and the GPS position of the place."""
    image = Image.new("RGB", (1600, 1200), (40, 120, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (40.0, 44.0, 54.36), 3: "W", 4: (73.0, 59.0, 8.0)})
    buffer = BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_photo_is_stored_without_location_with_a_thumbnail(riverside, make_participant):
    original = phone_photo()
    assert Image.open(BytesIO(original)).getexif().get_ifd(GPS_IFD)  # it had a location
    photo = photos.share_photo(
        make_participant(riverside, "Sam"),
        data=original,
        caption="Story time",
        credit="Sam R.",
        consent=True,
    )
    with photo.image.open("rb") as f:
        stored = Image.open(BytesIO(f.read()))
    assert not stored.getexif() and not stored.getexif().get_ifd(GPS_IFD)
    assert stored.size == (1600, 1200)
    with photo.thumbnail.open("rb") as f:
        thumb = Image.open(BytesIO(f.read()))
    assert max(thumb.size) == 480 and not thumb.getexif()


def test_consent_credit_and_a_real_picture_are_required(riverside, make_participant):
    sam = make_participant(riverside, "Sam")
    with pytest.raises(CommunityError, match="publish"):
        photos.share_photo(sam, data=phone_photo(), caption="", credit="Sam", consent=False)
    with pytest.raises(CommunityError, match="credit"):
        photos.share_photo(sam, data=phone_photo(), caption="", credit="  ", consent=True)
    with pytest.raises(CommunityError, match="not a photo"):
        photos.share_photo(sam, data=b"<html>hi</html>", caption="", credit="Sam", consent=True)
    assert not Photo.objects.exists()


def test_photo_is_public_only_after_approval(client, riverside, cast, make_participant):
    photo = photos.share_photo(
        make_participant(riverside, "Sam"),
        data=phone_photo(),
        caption="Garden",
        credit="Sam R.",
        consent=True,
    )
    public = reverse("community_public:photo-file", args=[riverside.slug, photo.pk, "thumb"])
    assert client.get(public).status_code == 404
    assert (
        "Garden"
        not in client.get(
            reverse("community_public:photos", args=[riverside.slug])
        ).content.decode()
    )
    with pytest.raises(NotAllowed):
        photos.decide_photo(photo, by=cast["agent"], approve=True)
    photos.decide_photo(photo, by=cast["moderator"], approve=True)
    served = client.get(public)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    page = client.get(reverse("community_public:photos", args=[riverside.slug])).content.decode()
    assert "Photo: Sam R." in page
    assert ModerationAction.objects.filter(kind="approve", moderator=cast["moderator"]).exists()
    hillview = cast["outsider"].workspace.slug
    assert (
        client.get(
            reverse("community_public:photo-file", args=[hillview, photo.pk, "thumb"])
        ).status_code
        == 404
    )


def test_upload_page_stores_the_photo_for_review(client, riverside, make_participant):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fan = make_participant(riverside, "Fan")
    session = client.session
    session["community_participant"] = {str(riverside.pk): fan.pk}
    session.save()
    response = client.post(
        reverse("community_public:photos", args=[riverside.slug]),
        {
            "photo": SimpleUploadedFile("IMG_0001.jpg", phone_photo(), content_type="image/jpeg"),
            "caption": "Reading garden",
            "credit": "Fan",
            "consent": "on",
        },
    )
    assert response.status_code == 302
    assert Photo.objects.get().status == Photo.Status.PENDING
