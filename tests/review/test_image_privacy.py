"""Staff reviewing a photo see the bird, not where it was taken; both photo views send the same headers."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import ExifTags, Image

from birdsite.photos.exif import read_metadata
from tests.birdsite.test_exif import jpeg_with_exif
from tests.review.conftest import job_with

pytestmark = pytest.mark.django_db

SAFETY_HEADERS = {
    "Content-Disposition": "inline",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def staff_view_of(client, staff, owner, data: bytes):
    from tests.helpers import finished_job

    job = finished_job(owner, data=data)
    client.force_login(staff)
    return client.get(reverse("review:image", args=[job.pk]))


def test_staff_get_the_photo_without_its_gps_position(client, staff, owner) -> None:
    original = jpeg_with_exif(orientation=6)
    assert read_metadata(original).has_location
    response = staff_view_of(client, staff, owner, original)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    served = body(response)
    meta = read_metadata(served)
    assert not meta.has_location
    with Image.open(io.BytesIO(served)) as image:
        assert ExifTags.IFD.GPSInfo not in image.getexif()


def test_the_staff_copy_keeps_the_orientation_so_the_photo_stays_upright(client, staff, owner) -> None:
    response = staff_view_of(client, staff, owner, jpeg_with_exif(orientation=6, size=(64, 48)))
    meta = read_metadata(body(response))
    assert meta.orientation == 6 and meta.camera == "Canon EOS R7"


def test_staff_get_the_photo_without_xmp_which_can_hold_the_place_too(client, staff, owner) -> None:
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>33,51.9S</exif:GPSLatitude></x:xmpmeta>'
    Image.new("RGB", (40, 30), (10, 200, 30)).save(out, "JPEG", xmp=xmp)
    served = body(staff_view_of(client, staff, owner, out.getvalue()))
    assert b"GPSLatitude" not in served
    with Image.open(io.BytesIO(served)) as image:
        assert image.size == (40, 30) and not image.info.get("xmp")


def test_a_photo_without_a_location_reaches_staff_unchanged(client, staff, owner) -> None:
    original = jpeg_with_exif(gps=False)
    assert body(staff_view_of(client, staff, owner, original)) == original


def test_staff_and_owner_views_send_the_same_safety_headers(client, staff, owner) -> None:
    staff_response = staff_view_of(client, staff, owner, jpeg_with_exif())
    job = job_with(owner)
    client.force_login(owner)
    owner_response = client.get(reverse("photos:image", args=[job.photo.pk]))
    for response in (staff_response, owner_response):
        assert {name: response[name] for name in SAFETY_HEADERS} == SAFETY_HEADERS
        assert response["Cache-Control"].startswith("private, ")


def test_the_owner_still_gets_the_original_file_with_its_location(client, owner) -> None:
    from tests.helpers import finished_job

    original = jpeg_with_exif()
    job = finished_job(owner, data=original)
    client.force_login(owner)
    assert body(client.get(reverse("photos:image", args=[job.photo.pk]))) == original


def test_a_photo_whose_location_cannot_be_removed_is_replaced_by_its_thumbnail(
    client, staff, owner, monkeypatch
) -> None:
    from birdsite.photos import exif

    def refuse(data: bytes) -> bytes:
        raise ValueError("cannot re-encode")

    original = jpeg_with_exif()
    monkeypatch.setattr(exif, "without_location", refuse)
    served = body(staff_view_of(client, staff, owner, original))
    assert served != original and not read_metadata(served).has_location


def test_the_sign_up_page_says_what_staff_can_see(client) -> None:
    page = client.get(reverse("signup")).content.decode()
    assert "staff may look at a photo" in page and "without its location" in page
