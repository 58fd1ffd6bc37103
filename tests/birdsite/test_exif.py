"""EXIF: date taken, GPS (rationals), camera, orientation; the place stays private."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from birdsite.photos import services
from birdsite.photos.exif import read_metadata, without_location
from birdsite.sightings.models import Sighting
from tests.helpers import finished_job


def jpeg_with_exif(
    *,
    taken: str | None = "2024:05:17 06:42:10",
    offset: str | None = "+02:00",
    gps: bool = True,
    orientation: int = 1,
    size: tuple[int, int] = (64, 48),
) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R7"
    exif[0x0112] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if taken:
        sub[0x9003] = taken
    if offset:
        sub[0x9011] = offset
    if gps:
        place = exif.get_ifd(ExifTags.IFD.GPSInfo)
        place[1], place[3], place[5] = "S", "W", b"\x00"
        place[2] = (IFDRational(33, 1), IFDRational(51, 1), IFDRational(5400, 100))  # 33°51'54"
        place[4] = (IFDRational(151, 1), IFDRational(12, 1), IFDRational(3600, 100))  # 151°12'36"
        place[6] = IFDRational(125, 2)
    out = io.BytesIO()
    Image.new("RGB", size, (120, 80, 40)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_it_reads_the_date_the_place_and_the_camera() -> None:
    meta = read_metadata(jpeg_with_exif())
    assert meta.taken_at == dt.datetime(2024, 5, 17, 6, 42, 10, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert meta.latitude == pytest.approx(-(33 + 51 / 60 + 54 / 3600))
    assert meta.longitude == pytest.approx(-(151 + 12 / 60 + 36 / 3600))
    assert meta.altitude == pytest.approx(62.5) and meta.camera == "Canon EOS R7"


def test_a_date_without_an_offset_is_read_in_the_sites_time_zone() -> None:
    zone = dt.timezone(dt.timedelta(hours=-5))
    meta = read_metadata(jpeg_with_exif(offset=None), default_tz=zone)
    assert meta.taken_at == dt.datetime(2024, 5, 17, 6, 42, 10, tzinfo=zone)


def test_the_camera_clock_and_its_offset_are_kept_as_they_read() -> None:
    meta = read_metadata(jpeg_with_exif(offset="-08:00"), default_tz=dt.UTC)
    assert (meta.taken_clock, meta.taken_offset) == (dt.datetime(2024, 5, 17, 6, 42, 10), -480)
    plain = read_metadata(jpeg_with_exif(offset=None), default_tz=dt.UTC)
    assert (plain.taken_clock, plain.taken_offset) == (dt.datetime(2024, 5, 17, 6, 42, 10), None)


@pytest.mark.django_db
def test_an_upload_stores_the_camera_clock_beside_the_instant(owner) -> None:
    photo = services.photo_create(owner=owner, data=jpeg_with_exif(offset="-08:00"), filename="bird.jpg")
    assert (photo.taken_clock, photo.taken_offset) == ("2024-05-17T06:42:10", -480)


def test_gps_given_as_numerator_denominator_pairs_is_read() -> None:
    from birdsite.photos.exif import _position

    gps = {1: "N", 2: ((52, 1), (30, 1), (0, 1)), 3: "E", 4: ((13, 1), (24, 1), (360, 10))}
    assert _position(gps) == (52.5, pytest.approx(13.41))


@pytest.mark.parametrize(
    "data",
    [jpeg_with_exif(taken="    :  :     ", gps=False), jpeg_with_exif(taken=None, offset=None, gps=False)],
)
def test_missing_or_blank_exif_gives_no_metadata_and_no_error(data: bytes) -> None:
    meta = read_metadata(data)
    assert meta.taken_at is None and not meta.has_location


def test_a_camera_without_a_fix_writes_zero_zero_which_is_no_place() -> None:
    from birdsite.photos.exif import _position

    assert _position({1: "N", 2: (0, 0, 0), 3: "E", 4: (0, 0, 0)}) == (None, None)


def test_garbage_is_not_metadata() -> None:
    assert read_metadata(b"not an image").taken_at is None


def test_the_location_can_be_removed_and_the_rest_stays() -> None:
    stripped = without_location(jpeg_with_exif())
    meta = read_metadata(stripped)
    assert not meta.has_location and meta.camera == "Canon EOS R7" and meta.taken_at is not None


@pytest.mark.django_db
def test_an_upload_keeps_its_metadata_and_its_thumbnail_is_upright_and_has_no_exif(owner) -> None:
    photo = services.photo_create(owner=owner, data=jpeg_with_exif(orientation=6), filename="bird.jpg")
    assert photo.taken_at is not None and photo.latitude == pytest.approx(-33.865)
    assert photo.camera == "Canon EOS R7"
    with photo.thumbnail.open("rb") as fh, Image.open(fh) as thumb:
        assert thumb.size == (48, 64)  # rotated by the orientation tag
        assert ExifTags.IFD.GPSInfo not in thumb.getexif() and not thumb.info.get("exif")


@pytest.mark.django_db
def test_a_sighting_gets_its_date_and_place_from_the_photo(owner) -> None:
    job = finished_job(owner, data=jpeg_with_exif())
    sighting = Sighting.objects.get(job=job)
    assert sighting.observed_at == dt.datetime(2024, 5, 17, 4, 42, 10, tzinfo=dt.UTC)
    assert (sighting.latitude, sighting.longitude) == (job.photo.latitude, job.photo.longitude)


@pytest.mark.django_db
def test_the_owner_corrects_the_date_and_place_and_nobody_else_can(owner_client, owner, stranger) -> None:
    from django.test import Client

    sighting = Sighting.objects.get(job=finished_job(owner, data=jpeg_with_exif()))
    data = {"observed_at": "2024-05-18T07:15", "location_name": "Centennial Park"}
    data |= {"latitude": "-33.9", "longitude": "151.23"}
    response = owner_client.post(f"/sightings/{sighting.pk}/place/", data)
    assert response.status_code == 302
    sighting.refresh_from_db()
    assert sighting.location_name == "Centennial Park" and sighting.latitude == pytest.approx(-33.9)
    assert sighting.observed_at.date() == dt.date(2024, 5, 18)
    client = Client()
    client.force_login(stranger)
    assert client.post(f"/sightings/{sighting.pk}/place/", data).status_code == 404
    assert client.get(f"/photos/{sighting.photo_id}/image").status_code == 404


@pytest.mark.django_db
def test_the_result_says_when_the_photo_was_taken_by_the_cameras_clock(owner, owner_client) -> None:
    from django.urls import reverse

    from tests.helpers import finished_job

    job = finished_job(owner, data=jpeg_with_exif(offset="-08:00"))
    page = owner_client.get(reverse("photos:job-status", args=[job.pk])).json()
    assert page["taken"] == "2024-05-17T06:42:10"
    plain = finished_job(owner, data=jpeg_with_exif(taken=None))
    assert owner_client.get(reverse("photos:job-status", args=[plain.pk])).json()["taken"] is None
