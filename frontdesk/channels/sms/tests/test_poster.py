"""The "Text us" poster: page sizes, the number, the workspace's words and colour, the QR."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from frontdesk.channels.sms import actions, poster
from frontdesk.inbox.models import Channel

FORM_URL = "https://desk.riverside.example/f/riverside/"
MM = 72 / 25.4


def spec(**overrides) -> poster.PosterSpec:
    values = {
        "workspace_name": "Riverside Public Library",
        "phone_number": "+15550104477",
        "country": "US",
        "brand_color": "#7a4fb3",
        "form_url": FORM_URL,
    }
    return poster.PosterSpec(**(values | overrides))


def pdf_page(data: bytes):
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0]


def qr_texts(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.mark.parametrize(
    ("size", "width_mm", "height_mm"), [("a4", 210, 297), ("letter", 215.9, 279.4)]
)
def test_the_pdf_has_the_paper_size_and_the_number(size, width_mm, height_mm):
    page = pdf_page(poster.render_pdf(spec(page_size=size)))
    box = page.mediabox
    assert float(box.width) == pytest.approx(width_mm * MM, abs=0.5)
    assert float(box.height) == pytest.approx(height_mm * MM, abs=0.5)
    text = " ".join(page.extract_text().split())
    for expected in (
        "(555) 010-4477",
        "+1 555-010-4477",
        "Questions? Text us.",
        "A librarian will text you back.",
        "Riverside Public Library",
        "desk.riverside.example/f/riverside/",
    ):
        assert expected in text


@pytest.mark.parametrize(("size", "ratio"), [("a4", 297 / 210), ("letter", 11 / 8.5)])
def test_the_png_has_the_paper_shape_and_a_qr_code_that_opens_the_form(size, ratio):
    png = poster.render_png(spec(page_size=size))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    width, height = image.size
    assert width >= 1200  # 150 dpi: sharp enough to print from the picture too
    assert height / width == pytest.approx(ratio, abs=0.002)
    assert qr_texts(png) == [FORM_URL]


def test_the_poster_uses_the_workspace_colour():
    image = Image.open(io.BytesIO(poster.render_png(spec(brand_color="#7a4fb3")))).convert("RGB")
    width, _ = image.size
    px_per_mm = width / 210
    # Inside the coloured panel, left of the text: the workspace's colour exactly.
    assert image.getpixel((int(20 * px_per_mm), int(40 * px_per_mm))) == (0x7A, 0x4F, 0xB3)


def test_a_light_brand_colour_gets_dark_text():
    light = poster._on(poster._brand("#f4c76b"))
    dark = poster._on(poster._brand("#1f6f5c"))
    assert light == poster.INK
    assert dark.hexval() == "0xffffff"
    # A colour that isn't a colour falls back to the app's accent instead of failing.
    assert poster._brand("tomato").hexval() == poster._brand(poster.FALLBACK_BRAND).hexval()


def test_a_number_of_another_country_prints_internationally():
    assert poster.number_lines("+15550104477", "US") == ("(555) 010-4477", "+1 555-010-4477")
    assert poster.number_lines("+442079460958", "GB") == ("020 7946 0958", "+44 20 7946 0958")
    assert poster.number_lines("+442079460958", "US") == ("+44 20 7946 0958", None)
    text = pdf_page(poster.render_pdf(spec(phone_number="+442079460958"))).extract_text()
    assert "+44 20 7946 0958" in text and "From abroad" not in text


def test_without_an_open_form_the_poster_has_no_qr_code():
    png = poster.render_png(spec(form_url=None))
    assert qr_texts(png) == []
    assert "contact form" not in pdf_page(poster.render_pdf(spec(form_url=None))).extract_text()


@pytest.mark.parametrize("size", ["a4", "letter"])
def test_long_words_stay_inside_the_printable_area(size):
    png = poster.render_png(
        spec(
            page_size=size,
            workspace_name="The Very Long Named Metropolitan Public Library of Riverside County",
            headline="Questions about books, films, events or your library card? Text us!",
            line="A librarian from our friendly reference team will text you back within a day.",
            form_url="https://desk.riverside-county-library.example/f/riverside-county-main/",
        )
    )
    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    edge = int(12 * width / (210 if size == "a4" else 215.9))
    # Nothing printed in the outer 12 mm (printers can't reach the outer 4-6 mm).
    for box in (
        (0, 0, width, edge),
        (0, height - edge, width, height),
        (0, 0, edge, height),
        (width - edge, 0, width, height),
    ):
        assert image.crop(box).getextrema() == (255, 255), box
    assert len(qr_texts(png)) == 1


# --- Through the page --------------------------------------------------------------------------


@pytest.fixture
def sms_channel(cast):
    return actions.create_sms_channel(
        cast["owner"].workspace,
        name="Main desk texts",
        connection=actions.SmsConnection(
            phone_number="+15550104477",
            account_sid="AC" + "0" * 32,
            auth_token="1" * 32,
        ),
        by=cast["owner"],
    )


def poster_url(channel: Channel) -> str:
    return reverse("channels:sms-poster", kwargs={"ws": "riverside", "pk": channel.pk})


@pytest.mark.django_db
@pytest.mark.parametrize(("size", "fmt"), [("a4", "pdf"), ("letter", "pdf"), ("a4", "png")])
def test_staff_download_the_poster_in_the_workspace_words(
    cast, client_for, sms_channel, settings, size, fmt
):
    settings.PUBLIC_BASE_URL = "https://desk.riverside.example"
    response = client_for(cast["agent"]).get(
        poster_url(sms_channel),
        {
            "headline": "Stuck? Text us.",
            "line": "Maya or a colleague answers.",
            "size": size,
            "format": fmt,
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == ("application/pdf" if fmt == "pdf" else "image/png")
    assert response["Content-Disposition"] == (
        f'attachment; filename="text-us-riverside-{size}.{fmt}"'
    )
    if fmt == "pdf":
        text = " ".join(pdf_page(response.content).extract_text().split())
        assert "Stuck? Text us." in text and "Maya or a colleague answers." in text
        assert "(555) 010-4477" in text
    else:
        assert qr_texts(response.content) == [FORM_URL]


@pytest.mark.django_db
def test_a_closed_web_form_leaves_the_qr_code_off(cast, client_for, sms_channel):
    Channel.objects.create(
        workspace=sms_channel.workspace, kind="webform", name="Form", is_active=False
    )
    response = client_for(cast["owner"]).get(
        poster_url(sms_channel),
        {"headline": "Text us", "line": "We answer.", "size": "a4", "format": "png"},
    )
    assert response.status_code == 200
    assert qr_texts(response.content) == []


@pytest.mark.django_db
def test_a_poster_request_with_bad_choices_is_explained(cast, client_for, sms_channel):
    response = client_for(cast["owner"]).get(
        poster_url(sms_channel), {"headline": "", "line": "x", "size": "a5", "format": "gif"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Select a valid choice. a5 is not one of the available choices." in body
    assert "This field is required." in body


@pytest.mark.django_db
@pytest.mark.parametrize(("country", "paper"), [("US", "letter"), ("CA", "letter"), ("GB", "a4")])
def test_the_paper_size_starts_at_what_the_workspaces_country_prints_on(
    cast, client_for, sms_channel, country, paper
):
    workspace = sms_channel.workspace
    workspace.default_country = country
    workspace.save(update_fields=["default_country"])
    page = client_for(cast["owner"]).get(
        reverse("channels:sms-detail", kwargs={"ws": "riverside", "pk": sms_channel.pk})
    )
    checked = re.findall(
        r'<input[^>]*name="size"[^>]*value="(\w+)"[^>]*checked', page.content.decode()
    )
    assert checked == [paper]
