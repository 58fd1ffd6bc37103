"""The pixels of a whole ZIP are bounded, read from the members' headers before any photo is decoded.

A few MB of archive can declare gigapixels (flat PNGs compress to almost nothing); each member under the
per-photo limit was decoded in the web request to check it and make its thumbnail (50 × 40 MP PNGs: 51 s
and 711 MB). The archive is refused as too large instead, with nothing stored.
"""

from __future__ import annotations

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from birdsite.batches import services
from birdsite.batches.archives import ArchiveRefused
from birdsite.batches.models import Batch
from birdsite.photos import images
from birdsite.photos.models import Photo
from tests.batches.helpers import zip_bytes
from tests.fakes import jpeg_bytes
from tests.fuzz.test_image_pipeline import png_header_only

pytestmark = pytest.mark.django_db


def flat_png(size: tuple[int, int], shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, shade).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def nothing_decoded(monkeypatch) -> None:
    def refuse(data: bytes, size: int) -> bytes:
        raise AssertionError("a photo was decoded")

    monkeypatch.setattr(images, "_thumbnail", refuse)


def test_it_refuses_a_zip_whose_photos_add_up_to_more_pixels_than_the_limit(
    owner, settings, media_root, nothing_decoded
) -> None:
    settings.BATCH_ZIP_MAX_PIXELS = 10_000_000
    archive = zip_bytes([(f"{n}.png", flat_png((2000, 1500), n)) for n in range(4)])  # 4 × 3 MP
    with pytest.raises(ArchiveRefused) as refused:
        services.batch_create_from_zip(user=owner, archive=io.BytesIO(archive))
    assert refused.value.code == "archive_too_large"
    assert [p.code for p in refused.value.problems] == ["too_many_pixels"]
    assert "12 MP" in refused.value.message and "10 MP" in refused.value.message
    assert not Batch.objects.exists() and not Photo.objects.exists()


def test_it_refuses_fifty_photos_of_36_megapixels_from_their_headers_at_once(
    owner, media_root, nothing_decoded
) -> None:
    archive = zip_bytes([(f"{n}.png", png_header_only(6000, 6000)) for n in range(50)])
    assert len(archive) < 100_000  # 1.8 gigapixels declared
    started = time.monotonic()
    with pytest.raises(ArchiveRefused) as refused:
        services.batch_create_from_zip(user=owner, archive=io.BytesIO(archive))
    assert time.monotonic() - started < 2
    assert refused.value.code == "archive_too_large"


def test_a_member_refused_on_its_own_does_not_count(owner, settings, fake_classifier) -> None:
    settings.BATCH_ZIP_MAX_PIXELS = 5_000_000
    settings.UPLOAD_MAX_PIXELS = 4_000_000
    archive = zip_bytes([("big.png", png_header_only(3000, 2000)), ("small.png", flat_png((100, 80), 9))])
    batch = services.batch_create_from_zip(user=owner, archive=io.BytesIO(archive))
    codes = dict(batch.items.values_list("name", "code"))
    assert codes == {"big.png": "too_many_pixels", "small.png": ""}


def test_a_jpeg_counts_the_pixels_its_thumbnail_decodes_at_reduced_scale(owner, settings) -> None:
    settings.BATCH_ZIP_MAX_PIXELS = 5_000_000
    archive = zip_bytes([(f"{n}.jpg", jpeg_bytes((2000, 1500), (n, 90, 40))) for n in range(3)])  # 9 MP
    batch = services.batch_create_from_zip(user=owner, archive=io.BytesIO(archive))
    assert batch.items.count() == 3 and not batch.items.exclude(code="").exists()


def test_the_api_answers_a_zip_of_too_many_pixels_413_archive_too_large(owner_client, settings) -> None:
    settings.BATCH_ZIP_MAX_PIXELS = 10_000_000
    archive = zip_bytes([(f"{n}.png", flat_png((2000, 1500), n)) for n in range(4)])
    upload = SimpleUploadedFile("birds.zip", archive, content_type="application/zip")
    response = owner_client.post("/api/v1/batches/", {"archive": upload})
    assert response.status_code == 413, response.content
    assert response.json()["code"] == "archive_too_large"
