"""EXIF metadata of a photo: when it was taken, where (GPS), with what camera; and removing the place.

Pillow only. Every reader is forgiving: a photo with broken or missing EXIF is still a photo, it
just has no metadata. The place is the owner's private data: thumbnails are re-encoded without
EXIF (see ``images._thumbnail``) and ``without_location`` removes GPS from a file before it is
served to anyone but the owner.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
from dataclasses import dataclass
from typing import Any

from PIL import ExifTags, Image

log = logging.getLogger(__name__)

TAG_MAKE = 0x010F
TAG_MODEL = 0x0110
TAG_DATETIME = 0x0132
TAG_ORIENTATION = 0x0112
TAG_DATETIME_ORIGINAL = 0x9003
TAG_DATETIME_DIGITIZED = 0x9004
TAG_OFFSET_TIME_ORIGINAL = 0x9011
GPS_LATITUDE_REF = 1
GPS_LATITUDE = 2
GPS_LONGITUDE_REF = 3
GPS_LONGITUDE = 4
GPS_ALTITUDE_REF = 5
GPS_ALTITUDE = 6


@dataclass(frozen=True)
class PhotoMetadata:
    taken_at: dt.datetime | None = None
    # The camera's clock as it read, and its UTC offset in minutes where the camera stored one: the local
    # time of the observation, whatever zone the site or the account is in.
    taken_clock: dt.datetime | None = None
    taken_offset: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None
    camera: str = ""
    orientation: int | None = None

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def read_metadata(data: bytes, *, default_tz: dt.tzinfo = dt.UTC) -> PhotoMetadata:
    """Date taken (aware; ``default_tz`` when the camera stored no offset), GPS position and camera."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
            main = dict(exif)
            sub = dict(exif.get_ifd(ExifTags.IFD.Exif))
            gps = dict(exif.get_ifd(ExifTags.IFD.GPSInfo))
    except Exception as exc:  # any damage in the EXIF block: no metadata, the photo is still fine
        log.info("unreadable EXIF: %s", exc)
        return PhotoMetadata()
    latitude, longitude = _position(gps)
    orientation = main.get(TAG_ORIENTATION)
    clock, offset = _clock(main, sub)
    return PhotoMetadata(
        taken_at=clock.replace(tzinfo=offset or default_tz) if clock is not None else None,
        taken_clock=clock,
        taken_offset=None if offset is None else int(offset.utcoffset(None).total_seconds() // 60),
        latitude=latitude,
        longitude=longitude,
        altitude=_altitude(gps),
        camera=_camera(main),
        orientation=orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None,
    )


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).replace("\x00", "").strip() if value is not None else ""


def _clock(main: dict[int, Any], sub: dict[int, Any]) -> tuple[dt.datetime | None, dt.timezone | None]:
    """The camera's clock reading (naive) when the photo was taken, and the offset it stored, if any."""
    for raw in (sub.get(TAG_DATETIME_ORIGINAL), sub.get(TAG_DATETIME_DIGITIZED), main.get(TAG_DATETIME)):
        text = _text(raw)
        try:
            naive = dt.datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
        return naive, _offset(_text(sub.get(TAG_OFFSET_TIME_ORIGINAL)))
    return None, None


def _offset(text: str) -> dt.timezone | None:
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        minutes = int(text[1:3]) * 60 + int(text[4:6])
    except ValueError:
        return None
    return dt.timezone(dt.timedelta(minutes=minutes if text[0] == "+" else -minutes))


def _number(value: Any) -> float:
    """An EXIF rational: Pillow's IFDRational, a ``(numerator, denominator)`` pair, or a number."""
    if isinstance(value, tuple) and len(value) == 2:
        numerator, denominator = value
        return float(numerator) / float(denominator)
    return float(value)


def _degrees(value: Any) -> float | None:
    try:
        parts = [_number(part) for part in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not parts or len(parts) > 3 or not all(math.isfinite(p) for p in parts):
        return None
    parts += [0.0] * (3 - len(parts))
    return parts[0] + parts[1] / 60 + parts[2] / 3600


def _position(gps: dict[int, Any]) -> tuple[float | None, float | None]:
    latitude, longitude = _degrees(gps.get(GPS_LATITUDE, ())), _degrees(gps.get(GPS_LONGITUDE, ()))
    if latitude is None or longitude is None:
        return None, None
    if _text(gps.get(GPS_LATITUDE_REF)).upper().startswith("S"):
        latitude = -latitude
    if _text(gps.get(GPS_LONGITUDE_REF)).upper().startswith("W"):
        longitude = -longitude
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or (latitude == 0 and longitude == 0):
        return None, None  # (0, 0) is what cameras without a fix write
    return round(latitude, 7), round(longitude, 7)


def _altitude(gps: dict[int, Any]) -> float | None:
    if GPS_ALTITUDE not in gps:
        return None
    try:
        metres = _number(gps[GPS_ALTITUDE])
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    below = gps.get(GPS_ALTITUDE_REF) in (1, b"\x01")
    return -metres if below else metres


def _camera(main: dict[int, Any]) -> str:
    make, model = _text(main.get(TAG_MAKE)), _text(main.get(TAG_MODEL))
    if make and model.lower().startswith(make.lower()):
        return model[:200]  # "Canon" + "Canon EOS R7" reads as "Canon EOS R7"
    return f"{make} {model}".strip()[:200]


def without_location(data: bytes) -> bytes:
    """The same image without its GPS block or XMP (which can hold the place too); for non-owners.

    Re-encoded only when it has either; the other EXIF tags (orientation included) stay."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
            if ExifTags.IFD.GPSInfo not in exif and not image.info.get("xmp"):
                return data
            exif.pop(ExifTags.IFD.GPSInfo, None)
            image_format = image.format or "JPEG"
            image.load()
            out = io.BytesIO()
            options: dict[str, Any] = {"exif": exif.tobytes()}
            if image_format == "JPEG":
                options.update(quality=95, subsampling="keep")
            image.save(out, image_format, **options)
            return out.getvalue()
    except Exception as exc:
        log.warning("could not remove the location from an image: %s", exc)
        raise ValueError("The location could not be removed from this image.") from exc
