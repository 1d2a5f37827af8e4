"""Files people give us: the type read from the bytes, and pictures without metadata.

A phone photo carries EXIF: the camera, the time and often the GPS position of the
place it was taken (a patron's home). Every picture Frontdesk keeps, a staff photo or
a patron's (an MMS picture, a web-form upload), is decoded and encoded again upright
(`ImageOps.exif_transpose`) with none of it: no EXIF, XMP, ICC profile or comments.
The stored name's extension comes from the type the bytes turned out to be, never
from the name the browser or provider sent (a "cat.jpg" that is HTML stays inert).
HEIC/HEIF photos (iPhones) are read through pillow-heif and kept as JPEG (or PNG),
without their metadata, like the rest.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF (iPhone photos) through libheif: read like any other picture.
    import pillow_heif
except ImportError:  # pragma: no cover - a dependency; without it HEIC stays opaque
    pass
else:
    pillow_heif.register_heif_opener()

# Pillow's format name -> the content type a picture of that format is served with.
PICTURE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
# Formats read but not kept as they are: re-encoded as JPEG (or PNG with transparency),
# which every browser shows, without their metadata (a HEIC photo's EXIF and GPS).
CONVERTED_FORMATS = frozenset({"HEIF"})
# A patron's picture is re-encoded only up to this size (pixels); larger ones are
# refused before (web form: 50 MP) or come from MMS (a few MB): a bound for safety.
MAX_PIXELS = 60_000_000
# Extensions for the types people send (others: Python's mimetypes table, or .bin).
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "application/pdf": ".pdf",
    "text/vcard": ".vcf",
    "text/x-vcard": ".vcf",
    "text/directory": ".vcf",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/mp4": ".m4a",
    "audio/amr": ".amr",
    "audio/3gpp": ".3gp",
    "video/3gpp": ".3gp",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "application/octet-stream": ".bin",
}
UNKNOWN_TYPE = "application/octet-stream"
_STEM = re.compile(r"[^A-Za-z0-9_-]+")


def encode_without_metadata(
    image: Image.Image, *, max_size: tuple[int, int] | None = None, keep_format: bool = False
) -> tuple[bytes, str]:
    """`image` upright, encoded again without its metadata; returns (bytes, content type).

    Pillow writes EXIF, XMP, ICC profiles and comments only when asked to, so an
    image decoded and saved plainly carries none of them. With `keep_format` a JPEG,
    PNG, WebP or GIF stays one (a patron's screenshot stays a lossless PNG);
    otherwise pictures with transparency become PNG and the others JPEG (a staff
    photo). `max_size` shrinks it to fit (a staff photo is kept at 512 px).
    """
    source_format = image.format or ""
    image = ImageOps.exif_transpose(image)
    if max_size is not None:
        image.thumbnail(max_size)
    # Only what drawing the picture needs; nothing describing where or how it was taken.
    image.info = {k: v for k, v in image.info.items() if k in ("transparency", "background")}
    buffer = BytesIO()
    if keep_format and source_format in ("PNG", "GIF"):
        image.save(buffer, format=source_format)
        return buffer.getvalue(), PICTURE_TYPES[source_format]
    if keep_format and source_format == "WEBP":
        image.save(buffer, format="WEBP", quality=90)
        return buffer.getvalue(), "image/webp"
    if keep_format and source_format == "JPEG" and image.mode in ("RGB", "L", "CMYK"):
        image.save(buffer, format="JPEG", quality=90)
        return buffer.getvalue(), "image/jpeg"
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        image.save(buffer, format="PNG", optimize=True)
        return buffer.getvalue(), "image/png"
    image.convert("RGB").save(buffer, format="JPEG", quality=88, optimize=True)
    return buffer.getvalue(), "image/jpeg"


@dataclass(frozen=True)
class CheckedFile:
    """A file as Frontdesk keeps it: its bytes (a picture's without metadata), the
    content type they are, and a name whose extension says so."""

    data: bytes
    content_type: str
    filename: str


def extension_for(content_type: str) -> str:
    return EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"


def _stem(filename: str) -> str:
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return _STEM.sub("-", stem).strip("-")[:80] or "file"


def check_file(data: bytes, *, content_type: str, filename: str) -> CheckedFile:
    """What to keep of a file a customer (or staff member) sent.

    A picture Pillow can read gets its type from its own bytes and loses its
    metadata (kept in its format); an animated GIF is kept as sent (GIF has no EXIF
    or GPS fields). A file that claims to be a picture but is not one is kept as an opaque download
    (application/octet-stream). Other files keep the type the sender declared (for
    MMS, one the adapter checked against its allow-list).
    """
    declared = (content_type or "").split(";")[0].strip().lower() or UNKNOWN_TYPE
    if declared.startswith("image/") or declared == UNKNOWN_TYPE:
        picture = _picture(data)
        if picture is not None:
            data, declared = picture
        elif declared.startswith("image/") and declared not in ("image/heic", "image/heif"):
            declared = UNKNOWN_TYPE  # not the picture it says it is
    return CheckedFile(
        data=data, content_type=declared, filename=f"{_stem(filename)}{extension_for(declared)}"
    )


def _picture(data: bytes) -> tuple[bytes, str] | None:
    """(bytes without metadata, content type) for a picture Pillow reads, else None."""
    try:
        with Image.open(BytesIO(data)) as image:
            kind = PICTURE_TYPES.get(image.format or "")
            if image.width * image.height > MAX_PIXELS:
                return None
            if kind is None and image.format in CONVERTED_FORMATS:
                image.load()
                return encode_without_metadata(image)
            if kind is None:
                return None
            if kind == "image/gif" and getattr(image, "n_frames", 1) > 1:
                return data, kind  # an animation: re-encoding would keep one frame
            image.load()
            return encode_without_metadata(image, keep_format=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        return None
