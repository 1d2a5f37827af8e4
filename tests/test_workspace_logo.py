"""A workspace's logo: uploaded on the workspace settings page by someone who may
manage the workspace, stored re-encoded without metadata, shown on the public pages."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from frontdesk.core.actions.workspaces import update_workspace_settings
from frontdesk.core.errors import NotAllowed

pytestmark = pytest.mark.django_db

SETTINGS = {
    "name": "Riverside Public Library",
    "time_zone": "America/New_York",
    "default_country": "US",
    "brand_color": "#1f6f5c",
}


def jpeg_with_location(size: tuple[int, int] = (1200, 600)) -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (45.0, 31.0, 12.0)}  # GPSInfo: where it was taken
    exif[0x010F] = "PhoneMaker"  # Make
    buffer = io.BytesIO()
    Image.new("RGB", size, (31, 111, 92)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def upload(client, slug: str, **extra):
    return client.post(
        reverse("core:workspace-settings", kwargs={"ws": slug}), {**SETTINGS, **extra}
    )


def test_the_owner_uploads_a_logo_shown_on_the_public_pages_without_metadata(
    client_for, cast, riverside
):
    owner = client_for(cast["owner"])
    logo = SimpleUploadedFile("logo.jpg", jpeg_with_location(), content_type="image/jpeg")
    response = upload(owner, riverside.slug, logo=logo)
    assert response.status_code == 302

    riverside.refresh_from_db()
    assert riverside.logo.name.startswith("staff/logos/")
    with default_storage.open(riverside.logo.name) as stored:
        image = Image.open(stored)
        image.load()
    assert max(image.size) == 512
    assert not image.getexif() and "exif" not in image.info

    page = owner.get(reverse("core:workspace-settings", kwargs={"ws": riverside.slug}))
    assert riverside.logo.url in page.content.decode()
    community = Client().get(reverse("community_public:home", args=[riverside.slug]))
    body = community.content.decode()
    assert f'<img class="org-logo" src="{riverside.logo.url}"' in body
    assert 'class="brand-mark"' not in body


def test_a_new_logo_replaces_the_old_file_and_remove_deletes_it(
    client_for, cast, riverside, django_capture_on_commit_callbacks
):
    # The replaced file is deleted once the change is committed.
    owner = client_for(cast["owner"])
    upload(owner, riverside.slug, logo=SimpleUploadedFile("a.jpg", jpeg_with_location()))
    riverside.refresh_from_db()
    first = riverside.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        upload(owner, riverside.slug, logo=SimpleUploadedFile("b.jpg", jpeg_with_location()))
    riverside.refresh_from_db()
    assert riverside.logo.name != first and not default_storage.exists(first)

    second = riverside.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(owner, riverside.slug, remove_logo="on").status_code == 302
    riverside.refresh_from_db()
    assert not riverside.logo and not default_storage.exists(second)


def test_a_file_that_is_not_an_image_is_refused_and_nothing_changes(client_for, cast, riverside):
    owner = client_for(cast["owner"])
    fake = SimpleUploadedFile("logo.png", b"%PDF-1.4 not a picture", content_type="image/png")
    response = upload(owner, riverside.slug, logo=fake, name="Renamed")
    assert response.status_code == 200
    assert "image" in response.content.decode().lower()
    riverside.refresh_from_db()
    assert not riverside.logo and riverside.name == "Riverside Public Library"


def test_only_those_who_manage_the_workspace_may_change_it(client_for, cast, riverside):
    logo = SimpleUploadedFile("logo.jpg", jpeg_with_location())
    assert upload(client_for(cast["agent"]), riverside.slug, logo=logo).status_code == 403
    with pytest.raises(NotAllowed):
        update_workspace_settings(
            riverside, by=cast["agent"], **SETTINGS, logo=SimpleUploadedFile("l.jpg", b"x")
        )
    riverside.refresh_from_db()
    assert not riverside.logo
