"""Phone-like photos for tests: a picture carrying EXIF with a camera and a GPS position."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112
CAMERA = "PatronPhone 12"
# What Pillow reports about how to draw a picture (JFIF header, density, an
# animation's loop and background): nothing about who took it, when or where.
PIXEL_INFO = frozenset(
    {
        "jfif",
        "jfif_version",
        "jfif_unit",
        "jfif_density",
        "dpi",
        "progressive",
        "progression",
        "background",
        "loop",
        "duration",
        "timestamp",
    }
)


def photo_with_gps(
    image_format: str = "JPEG", *, size: tuple[int, int] = (16, 8), orientation: int = 1
) -> bytes:
    """A small photo whose EXIF names the camera and the place (51°30'N, 0°7'W)."""
    image = Image.new("RGB", size, (180, 90, 30))
    exif = Image.Exif()
    exif[MAKE] = CAMERA
    exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 26.0)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 39.0)
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, exif=exif)
    return buffer.getvalue()


def metadata_of(data: bytes) -> dict:
    """What a reader of the file learns besides the pixels: EXIF tags, GPS, other info."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return {
            "exif": dict(exif),
            "gps": dict(exif.get_ifd(GPS_IFD)),
            "info": sorted(key for key in image.info if key not in PIXEL_INFO),
            "format": image.format,
            "size": image.size,
        }
