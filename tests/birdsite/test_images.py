from __future__ import annotations

import io

import pytest
from PIL import Image

from birdsite.photos.images import UploadRejected, check_image
from tests.fakes import jpeg_bytes, png_bytes

LIMITS = {"max_bytes": 1_000_000, "max_pixels": 1_000_000, "thumbnail_size": 32}


def rejection(data: bytes, **limits: int) -> str:
    with pytest.raises(UploadRejected) as info:
        check_image(data, **{**LIMITS, **limits})
    return info.value.code


def test_it_accepts_a_jpeg_and_makes_a_small_thumbnail() -> None:
    checked = check_image(jpeg_bytes((200, 100)), **LIMITS)
    assert (checked.image_format, checked.suffix, checked.width, checked.height) == ("JPEG", ".jpg", 200, 100)
    thumb = Image.open(io.BytesIO(checked.thumbnail_jpeg))
    assert thumb.format == "JPEG" and max(thumb.size) == 32


def test_it_accepts_a_png_with_transparency() -> None:
    assert check_image(png_bytes(), **LIMITS).image_format == "PNG"


def test_it_rejects_a_text_file_renamed_to_jpg() -> None:
    assert rejection(b"this is not an image at all\n" * 10) == "not_an_image"


def test_it_rejects_a_truncated_jpeg() -> None:
    data = jpeg_bytes((400, 300))
    assert rejection(data[: len(data) // 2]) == "corrupt"


def test_it_rejects_an_empty_file() -> None:
    assert rejection(b"") == "empty"


def test_it_rejects_a_file_over_the_size_limit_before_decoding() -> None:
    assert rejection(jpeg_bytes((300, 300)), max_bytes=100) == "too_large"


def test_it_rejects_an_image_over_the_pixel_limit_without_decoding_it() -> None:
    out = io.BytesIO()
    Image.new("1", (5000, 5000)).save(out, "PNG")  # tiny file, 25 MP
    assert rejection(out.getvalue(), max_pixels=1_000_000) == "too_many_pixels"


def test_it_rejects_an_image_format_it_does_not_serve() -> None:
    out = io.BytesIO()
    Image.new("RGB", (16, 16)).save(out, "TIFF")
    assert rejection(out.getvalue()) == "unsupported_format"
