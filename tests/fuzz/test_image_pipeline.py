"""Hostile files through the upload checks (Pillow decode, thumbnail, EXIF) and the upload page.

Never a crash, a hang past ``LIMIT_SECONDS`` or a 500: an image is accepted, or refused with a stable code
and a message. Examples are bounded (``max_examples``) and derandomized, so CI runs the same cases.
"""

from __future__ import annotations

import io
import os
import struct
import time
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from birdsite.errors import http_status
from birdsite.photos.exif import read_metadata
from birdsite.photos.images import UploadRejected, check_image

LIMIT_SECONDS = 2.0
CODES = {"empty", "too_large", "too_many_pixels", "not_an_image", "unsupported_format", "corrupt"}
FUZZ = settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
TRIED = {"count": 0}


def encoded(fmt: str, mode: str = "RGB", size=(40, 30), **options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 128 if mode in ("L", "I;16", "I") else (200, 120, 40)[: len(mode)]).save(
        out, fmt, **options
    )
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("P", (30, 30), i * 40) for i in range(4)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], loop=0)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def heic_like() -> bytes:
    return struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0mif1heic" + b"\0" * 200


SEEDS = {
    "jpeg": encoded("JPEG"),
    "png": encoded("PNG"),
    "webp": encoded("WEBP"),
    "gif": animated_gif(),
    "bmp": encoded("BMP"),
    "cmyk_jpeg": encoded("JPEG", "CMYK"),
    "png16": encoded("PNG", "I;16"),
    "grey": encoded("PNG", "L"),
    "exif_jpeg": encoded("JPEG", exif=b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0"),
    "huge_header": png_header_only(100_000, 100_000),
    "heic": heic_like(),
    "tiff": encoded("TIFF"),
}


def check(data: bytes) -> None:
    TRIED["count"] += 1
    started = time.monotonic()
    try:
        checked = check_image(data, max_bytes=2_000_000, max_pixels=40_000_000, thumbnail_size=64)
    except UploadRejected as exc:
        assert exc.code in CODES and exc.message
    else:
        assert checked.thumbnail_jpeg.startswith(b"\xff\xd8")
        read_metadata(data)
    assert time.monotonic() - started < LIMIT_SECONDS


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_every_seed_file_is_accepted_or_refused_with_a_code(name: str) -> None:
    check(SEEDS[name])


def test_heic_is_refused_as_an_unsupported_format_with_the_reason() -> None:
    with pytest.raises(UploadRejected) as refused:
        check_image(SEEDS["heic"], max_bytes=2_000_000, max_pixels=40_000_000, thumbnail_size=64)
    assert refused.value.code in ("unsupported_format", "not_an_image")


def test_a_huge_dimensions_header_is_refused_before_decoding() -> None:
    with pytest.raises(UploadRejected) as refused:
        check_image(SEEDS["huge_header"], max_bytes=2_000_000, max_pixels=40_000_000, thumbnail_size=64)
    assert refused.value.code == "too_many_pixels"


@FUZZ
@given(seed=st.sampled_from(sorted(SEEDS)), cut=st.floats(0, 1))
def test_truncated_files_never_crash(seed: str, cut: float) -> None:
    data = SEEDS[seed]
    check(data[: int(len(data) * cut)])


@FUZZ
@given(
    seed=st.sampled_from(sorted(SEEDS)),
    flips=st.lists(st.tuples(st.integers(0), st.integers(0, 255)), max_size=8),
)
def test_corrupted_bytes_never_crash(seed: str, flips: list[tuple[int, int]]) -> None:
    data = bytearray(SEEDS[seed])
    for position, value in flips:
        data[position % len(data)] = value
    check(bytes(data))


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_never_crash(data: bytes) -> None:
    check(data)


@FUZZ
@given(garbage=st.binary(min_size=1, max_size=600))
def test_exif_garbage_never_crashes(garbage: bytes) -> None:
    image = Image.new("RGB", (32, 24), (10, 20, 30))
    out = io.BytesIO()
    image.save(out, "JPEG", exif=b"Exif\0\0" + garbage)
    check(out.getvalue())


NAMES = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120) | st.sampled_from(
    ["../../etc/passwd", "..\\..\\win.ini", "/abs/path.jpg", "a\0b.jpg", "x" * 400 + ".jpg", "bird.php.jpg"]
)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    seed=st.sampled_from(sorted(SEEDS)),
    cut=st.sampled_from([1.0, 0.5, 0.1]),
    name=NAMES,
    content_type=st.sampled_from(["image/jpeg", "text/html", "application/x-php", "image/svg+xml", ""]),
)
def test_the_upload_page_answers_201_or_a_clear_400_never_a_500(
    owner_client_factory, seed, cut, name, content_type
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    TRIED["count"] += 1
    data = SEEDS[seed][: max(1, int(len(SEEDS[seed]) * cut))]
    client = owner_client_factory()
    # A name with no file part ("/", "a/..") cannot be sent at all (Django's test client refuses it).
    sendable = name if os.path.basename(name.replace("\\", "/")) not in ("", ".", "..") else "x"
    upload = SimpleUploadedFile(sendable, data, content_type=content_type or "application/octet-stream")
    response = client.post("/", {"image": upload}, HTTP_ACCEPT="application/json")
    # A refusal answers the status of its code, as the API does (birdsite/errors.py HTTP_STATUS).
    assert response.status_code in (201, 400, 413, 415), response.content[:300]
    body = response.json()
    if response.status_code != 201:
        assert body["code"] in CODES | FORM_CODES and body["message"], body
        assert response.status_code == http_status(body["code"]), body


# The upload form's own refusals (Django's FileField), in the API's words (birdsite/photos/forms.py).
FORM_CODES = {"invalid", "missing", "empty", "required"}


@pytest.fixture
def owner_client_factory(owner, fake_classifier, django_capture_on_commit_callbacks, settings):
    from django.test import Client

    # Shrinking a failure replays many uploads: the hourly upload budget must not turn it into a 429.
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "upload_user": "100000/hour"}
    settings.API_THROTTLE_RATES["upload_ip"] = "100000/hour"

    def make():
        client = Client()
        client.force_login(owner)
        return client

    with django_capture_on_commit_callbacks(execute=False):
        yield make


def test_zz_report_how_many_cases_were_tried() -> None:
    print(f"\nFUZZ CASES TRIED {TRIED['count']}")
    assert TRIED["count"] > 0
