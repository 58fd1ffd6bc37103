"""Checking an upload by its content and making its thumbnail (Pillow only, no model)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

from birdsite.errors import Refused

ALLOWED_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif", "BMP": ".bmp"}


class UploadRejected(Refused):
    """An upload we refuse; ``code`` is stable (for the API), ``message`` is for people."""


@dataclass(frozen=True)
class CheckedImage:
    image_format: str
    suffix: str
    width: int
    height: int
    thumbnail_jpeg: bytes


def check_image(data: bytes, *, max_bytes: int, max_pixels: int, thumbnail_size: int) -> CheckedImage:
    """Accept ``data`` only if it is a whole image of an allowed format within the limits."""
    if not data:
        raise UploadRejected("empty", "The file is empty.")
    if len(data) > max_bytes:
        raise UploadRejected(
            "too_large", f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                image_format = probe.format or ""
                width, height = probe.size
                if image_format in ALLOWED_FORMATS and width * height <= max_pixels:
                    probe.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRejected("too_many_pixels", "The image has too many pixels.") from exc
    except UnidentifiedImageError as exc:
        raise UploadRejected("not_an_image", "This file is not an image we can read.") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UploadRejected("corrupt", f"The image is damaged and cannot be read ({exc}).") from exc
    if image_format not in ALLOWED_FORMATS:
        allowed = ", ".join(sorted(ALLOWED_FORMATS))
        raise UploadRejected(
            "unsupported_format", f"{image_format or 'This'} images are not supported ({allowed})."
        )
    if width * height > max_pixels:
        raise UploadRejected(
            "too_many_pixels",
            f"The image is {width}×{height} ({width * height / 1e6:.0f} MP); "
            f"the limit is {max_pixels / 1e6:.0f} MP.",
        )
    thumbnail = _thumbnail(data, thumbnail_size)
    return CheckedImage(image_format, ALLOWED_FORMATS[image_format], width, height, thumbnail)


def pixels_to_decode(fp: IO[bytes], *, max_pixels: int, thumbnail_size: int) -> int:
    """How many pixels :func:`check_image` decodes for the image in ``fp``, from its header alone: 0 for
    what it refuses without decoding (no image, a format we do not take, over ``max_pixels``); a JPEG at
    the reduced scale its thumbnail is decoded at."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(fp) as probe:
                width, height = probe.size
                if probe.format not in ALLOWED_FORMATS or width * height > max_pixels:
                    return 0
                _draft(probe, thumbnail_size)  # sets the decoder's scale only: nothing is decoded
                return probe.size[0] * probe.size[1]
    except (Image.DecompressionBombError, OSError, SyntaxError, ValueError, EOFError):
        return 0


def _draft(image: Image.Image, size: int) -> None:
    image.draft("RGB", (size * 2, size * 2))


def _thumbnail(data: bytes, size: int) -> bytes:
    """Decode the whole image (at reduced scale for JPEG) — this also catches truncated files."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            _draft(image, size)
            image.load()
            oriented = ImageOps.exif_transpose(image)
            oriented.thumbnail((size, size))
            rgb = oriented.convert("RGB")
    except (OSError, SyntaxError, ValueError) as exc:
        raise UploadRejected("corrupt", f"The image is damaged and cannot be read ({exc}).") from exc
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=82, optimize=True)  # re-encoded: no EXIF, no location in thumbnails
    return out.getvalue()
