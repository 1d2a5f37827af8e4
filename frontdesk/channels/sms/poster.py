"""The "Text us" poster for a front-desk window: PDF (reportlab) and PNG (pdfium).

One drawing, two outputs: the page is drawn once as a PDF and the PNG is that PDF
rasterised by PDFium (pypdfium2 ships the library), so what staff preview as a
picture is what the printer gets. Fonts are Bitstream Vera, which reportlab ships
and embeds, so nothing is downloaded and every viewer draws the same letters.

Everything sits at least 15 mm inside the page edge: office printers cannot print
the outer 4–6 mm, and a full-bleed colour band would come out with a white rim.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import phonenumbers
import reportlab
import segno
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

PAGE_SIZES = {"a4": A4, "letter": LETTER}
PAGE_LABELS = {"a4": "A4", "letter": "US Letter"}
# Countries whose offices buy US Letter (and legal) paper; everyone else uses A4.
LETTER_COUNTRIES = frozenset(
    {"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "CR", "PA", "DO", "PR"}
)


def paper_for(country: str) -> str:
    """The paper size a workspace in `country` (ISO 3166 alpha-2) prints on."""
    return "letter" if (country or "").upper() in LETTER_COUNTRIES else "a4"


FORMATS = {"pdf": "PDF (to print)", "png": "PNG picture"}
DEFAULT_HEADLINE = "Questions? Text us."
DEFAULT_LINE = "A librarian will text you back."
PNG_DPI = 150
FALLBACK_BRAND = "#1f6f5c"  # the app's own accent, when a workspace colour is unusable
INK = HexColor("#1e2422")
MUTED = HexColor("#55605b")
MARGIN = 15 * mm

_FONT_DIR = Path(reportlab.__file__).parent / "fonts"
REGULAR, BOLD = "FrontdeskVera", "FrontdeskVeraBold"


@cache
def _register_fonts() -> None:
    pdfmetrics.registerFont(TTFont(REGULAR, str(_FONT_DIR / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(_FONT_DIR / "VeraBd.ttf")))


@dataclass(frozen=True)
class PosterSpec:
    """Everything one poster shows; plain values, so rendering needs no database."""

    workspace_name: str
    phone_number: str  # E.164
    country: str  # the workspace's default country, for the national format
    headline: str = DEFAULT_HEADLINE
    line: str = DEFAULT_LINE
    brand_color: str = FALLBACK_BRAND
    form_url: str | None = None  # the QR code opens it; None leaves the QR off
    page_size: str = "a4"


def number_lines(e164: str, country: str) -> tuple[str, str | None]:
    """The number as people at the desk dial it, and the international form beside it.

    A number of the workspace's own country prints nationally, e.g. "(555) 010-4477",
    with "+1 555-010-4477" underneath; any other prints internationally alone.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164, None
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if number.country_code == phonenumbers.country_code_for_region(country or ""):
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return national, international
    return international, None


def _brand(value: str) -> Color:
    try:
        return HexColor(value if value.startswith("#") and len(value) == 7 else FALLBACK_BRAND)
    except ValueError:
        return HexColor(FALLBACK_BRAND)


def _on(color: Color) -> Color:
    """White or ink, whichever reads better on `color` (WCAG relative luminance)."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * channel(color.red) + 0.7152 * channel(color.green)
    luminance += 0.0722 * channel(color.blue)
    return HexColor("#ffffff") if luminance < 0.45 else INK


def _fit(text: str, font: str, *, largest: float, smallest: float, width: float) -> float:
    """The largest size (down to `smallest`) at which `text` fits on one line."""
    size = largest
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 1
    return size


def _wrap(
    text: str, font: str, *, largest: float, smallest: float, width: float, max_lines: int
) -> tuple[list[str], float]:
    """Lines and size for `text` in at most `max_lines` lines (shrinking as needed)."""
    size = largest
    while True:
        lines = simpleSplit(text, font, size, width)
        widest = max((pdfmetrics.stringWidth(t, font, size) for t in lines), default=0)
        if (len(lines) <= max_lines and widest <= width) or size <= smallest:
            return _balanced(text, font, size, lines, width)[:max_lines], size
        size -= 1


def _balanced(text: str, font: str, size: float, lines: list[str], width: float) -> list[str]:
    """The same number of lines, as even as possible ("Stuck? / Text us.", not
    "Stuck? Text / us.")."""
    if len(lines) < 2:
        return lines
    narrow, wide = width / len(lines), width
    while wide - narrow > 2:
        middle = (narrow + wide) / 2
        if len(simpleSplit(text, font, size, middle)) > len(lines):
            narrow = middle
        else:
            wide = middle
    return simpleSplit(text, font, size, wide)


def _draw_qr(canvas: Canvas, url: str, *, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (sharp at any print size). (x, y, size) is the
    dark part, so its edge lines up with the text; the quiet zone the standard asks
    for (4 modules) is white paper around it, kept clear of anything else."""
    qr = segno.make(url, error="m", micro=False)
    count = len(qr.matrix)
    module = size / count
    canvas.setFillColor(INK)
    for row_index, row in enumerate(qr.matrix):
        top = y + size - (row_index + 1) * module
        col = 0
        while col < count:
            if row[col]:
                start = col
                while col < count and row[col]:
                    col += 1
                # A run of dark modules as one rectangle, overlapping its neighbours
                # a little so no hairline gaps show when rasterised.
                canvas.rect(
                    x + start * module,
                    top - 0.05,
                    (col - start) * module + 0.05,
                    module + 0.1,
                    stroke=0,
                    fill=1,
                )
            else:
                col += 1


def render_pdf(spec: PosterSpec) -> bytes:
    """The poster as a one-page PDF of the chosen size."""
    _register_fonts()
    width, height = PAGE_SIZES[spec.page_size]
    inner = width - 2 * MARGIN
    brand = _brand(spec.brand_color)
    on_brand = _on(brand)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=True)
    canvas.setTitle(f"Text us: {spec.workspace_name}")
    canvas.setAuthor(spec.workspace_name)
    canvas.setCreator("Frontdesk")

    # The coloured panel: workspace name and the headline.
    pad = 12 * mm
    headline_lines, headline_size = _wrap(
        spec.headline, BOLD, largest=64, smallest=28, width=inner - 2 * pad, max_lines=3
    )
    name_size = _fit(spec.workspace_name, BOLD, largest=20, smallest=11, width=inner - 2 * pad)
    panel_h = pad + name_size + 8 * mm + len(headline_lines) * headline_size * 1.12 + pad
    panel_top = height - MARGIN
    canvas.setFillColor(brand)
    canvas.roundRect(MARGIN, panel_top - panel_h, inner, panel_h, 6 * mm, stroke=0, fill=1)
    canvas.setFillColor(on_brand)
    y = panel_top - pad - name_size
    canvas.setFont(BOLD, name_size)
    canvas.drawString(MARGIN + pad, y, spec.workspace_name)
    y -= 8 * mm
    canvas.setFont(BOLD, headline_size)
    for text in headline_lines:
        y -= headline_size * 0.95
        canvas.drawString(MARGIN + pad, y, text)
        y -= headline_size * 0.17

    # The web form's corner (QR code and caption) sits above the small print; the
    # number and the invitation are centred in the space between it and the panel.
    footer_y = MARGIN + 4 * mm
    qr_size = 46 * mm  # the dark part; the white quiet zone lies outside it
    qr_y = footer_y + 14 * mm
    divider_y = qr_y + qr_size + 12 * mm if spec.form_url else footer_y + 10 * mm

    big, international = number_lines(spec.phone_number, spec.country)
    number_size = _fit(big, BOLD, largest=88, smallest=30, width=inner * 0.92)
    line_lines, line_size = _wrap(
        spec.line, REGULAR, largest=26, smallest=14, width=inner, max_lines=3
    )
    # (font, size, colour, text, space above the baseline)
    rows: list[tuple[str, float, Color, str, float]] = [
        (REGULAR, 18, MUTED, "Text this number", 18 * 0.75)
    ]
    rows.append((BOLD, number_size, INK, big, 8 * mm + number_size * 0.75))
    if international:
        rows.append((REGULAR, 16, MUTED, f"From abroad: {international}", 11 * mm))
    for index, text in enumerate(line_lines):
        rows.append(
            (
                REGULAR,
                line_size,
                INK,
                text,
                (14 * mm + line_size if index == 0 else line_size * 1.3),
            )
        )
    block = sum(row[4] for row in rows)
    free = (panel_top - panel_h) - divider_y - block
    y = panel_top - panel_h - max(free / 2, 6 * mm)
    for font, size, color, text, above in rows:
        y -= above
        canvas.setFillColor(color)
        canvas.setFont(font, size)
        canvas.drawCentredString(width / 2, y, text)

    if spec.form_url:
        canvas.setStrokeColor(HexColor("#d4d0c5"))
        canvas.setLineWidth(0.8)
        canvas.line(MARGIN, divider_y, width - MARGIN, divider_y)
        _draw_qr(canvas, spec.form_url, x=MARGIN, y=qr_y, size=qr_size)
        text_x = MARGIN + qr_size + 10 * mm
        text_w = width - MARGIN - text_x
        canvas.setFillColor(INK)
        caption, caption_size = _wrap(
            "Rather write? Scan to open our contact form.",
            BOLD,
            largest=20,
            smallest=12,
            width=text_w,
            max_lines=3,
        )
        ty = qr_y + qr_size - caption_size
        canvas.setFont(BOLD, caption_size)
        for text in caption:
            canvas.drawString(text_x, ty, text)
            ty -= caption_size * 1.2
        url = spec.form_url.split("://", 1)[-1]
        url_lines, url_size = _wrap(url, REGULAR, largest=12, smallest=8, width=text_w, max_lines=3)
        ty -= 3 * mm
        canvas.setFillColor(MUTED)
        canvas.setFont(REGULAR, url_size)
        for text in url_lines:
            canvas.drawString(text_x, ty, text)
            ty -= url_size * 1.3
    canvas.setFillColor(MUTED)
    canvas.setFont(REGULAR, 10)
    canvas.drawCentredString(
        width / 2,
        footer_y,
        "Message and data rates may apply. Text STOP to stop, HELP for help.",
    )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_png(spec: PosterSpec, *, dpi: int = PNG_DPI) -> bytes:
    """The same poster as a PNG picture (`dpi` pixels per inch of paper)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(render_pdf(spec))
    try:
        image = document[0].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), optimize=True)
    return out.getvalue()
