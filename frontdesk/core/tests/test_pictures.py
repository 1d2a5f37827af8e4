"""What Frontdesk keeps of a file: the type its bytes are, and a photo without metadata."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from frontdesk.core.pictures import check_file
from frontdesk.core.tests.photos import CAMERA, metadata_of, photo_with_gps


@pytest.mark.parametrize(
    ("image_format", "kind"), [("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("PNG", "image/png")]
)
def test_a_photo_loses_its_camera_and_gps_position_and_keeps_its_format(image_format, kind):
    sent = photo_with_gps(image_format)
    assert metadata_of(sent)["gps"]  # the test photo does carry a position
    kept = check_file(sent, content_type=kind, filename="IMG_0042." + image_format.lower())
    found = metadata_of(kept.data)
    assert (found["exif"], found["gps"], found["info"]) == ({}, {}, [])
    assert CAMERA.encode() not in kept.data
    assert (found["format"], kept.content_type) == (image_format, kind)
    assert found["size"] == (16, 8)


def test_a_sideways_phone_photo_is_turned_upright_as_its_exif_said():
    kept = check_file(photo_with_gps(orientation=6), content_type="image/jpeg", filename="x.jpg")
    assert metadata_of(kept.data)["size"] == (8, 16)  # rotated 90°, and no orientation left


@pytest.mark.parametrize(
    ("name", "declared", "data", "kind", "stored"),
    [
        ("holiday.png", "image/png", photo_with_gps("JPEG"), "image/jpeg", "holiday.jpg"),
        ("scan", "application/octet-stream", photo_with_gps("PNG"), "image/png", "scan.png"),
        (
            "cat.jpg",
            "image/jpeg",
            b"<html><script>alert(1)</script>",
            "application/octet-stream",
            "cat.bin",
        ),
        (
            "../../etc/passwd.svg",
            "image/svg+xml",
            b"<svg onload=alert(1)>",
            "application/octet-stream",
            "passwd.bin",
        ),
        ("notice.exe", "application/pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf", "notice.pdf"),
        ("MEabc", "text/vcard", b"BEGIN:VCARD\nEND:VCARD\n", "text/vcard", "MEabc.vcf"),
    ],
)
def test_the_stored_name_takes_its_extension_from_the_checked_type(
    name, declared, data, kind, stored
):
    kept = check_file(data, content_type=declared, filename=name)
    assert (kept.content_type, kept.filename) == (kind, stored)


def test_an_animated_gif_is_kept_as_sent():
    frames = [Image.new("RGB", (4, 4), color) for color in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    kept = check_file(buffer.getvalue(), content_type="image/gif", filename="dance.gif")
    assert (kept.data, kept.content_type, kept.filename) == (
        buffer.getvalue(),
        "image/gif",
        "dance.gif",
    )


@pytest.mark.parametrize("declared", ["image/heic", "image/heif", "application/octet-stream"])
def test_an_iphone_heic_photo_becomes_a_jpeg_without_its_camera_or_gps(declared):
    sent = photo_with_gps("HEIF")
    assert sent[4:12] == b"ftypheic"
    assert metadata_of(sent)["gps"] and CAMERA.encode() in sent  # it does carry them
    kept = check_file(sent, content_type=declared, filename="IMG_0042.HEIC")
    found = metadata_of(kept.data)
    assert (found["exif"], found["gps"], found["info"]) == ({}, {}, [])
    assert CAMERA.encode() not in kept.data
    assert (found["format"], kept.content_type, kept.filename) == (
        "JPEG",
        "image/jpeg",
        "IMG_0042.jpg",
    )
    assert found["size"] == (16, 8)
