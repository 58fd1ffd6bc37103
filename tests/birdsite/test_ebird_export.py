"""The eBird Record Format file checked against eBird's published column rules, and what issue 14 asks of
it: a count per sighting, local time in the owner's zone, coordinates and place names the owner gave once."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from birdsite.sightings import exports, observers, services
from birdsite.sightings.models import Sighting
from tests.fakes import FakeClassifier, jpeg_bytes
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db

# eBird "Record Format (Specifications)": columns A-S in this order, no header row.
EBIRD_ORDER = [
    "Common Name", "Genus", "Species", "Number", "Species Comments", "Location Name", "Latitude",
    "Longitude", "Date", "Start Time", "State/Province", "Country Code", "Protocol",
    "Number of Observers", "Duration", "All observations reported?", "Effort Distance Miles",
    "Effort area acres", "Submission Comments",
]  # fmt: skip
PROTOCOLS = {"Incidental", "Casual", "Stationary", "Traveling", "Area", "Historical"}


def problems(row: list[str]) -> list[str]:
    """What breaks eBird's rules in one record (empty list: it imports)."""
    found = []
    if len(row) != 19:
        return [f"{len(row)} columns, not 19"]
    cell = dict(zip(EBIRD_ORDER, row, strict=True))
    for required in ("Common Name", "Number", "Location Name", "Date", "Protocol"):
        if not cell[required].strip():
            found.append(f"{required} is required")
    if not (cell["Number"] == "X" or re.fullmatch(r"[1-9]\d*", cell["Number"])):
        found.append("Number is a positive whole number or X")
    if not re.fullmatch(r"(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])/\d{4}", cell["Date"]):
        found.append("Date is MM/DD/YYYY")
    if cell["Start Time"] and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", cell["Start Time"]):
        found.append("Start Time is HH:MM, 24-hour")
    if cell["Protocol"] not in PROTOCOLS:
        found.append("unknown Protocol")
    if cell["Protocol"] != "Incidental" and not cell["Start Time"]:
        found.append("Start Time is required outside Incidental")
    if bool(cell["Latitude"]) != bool(cell["Longitude"]):
        found.append("Latitude and Longitude go together")
    if cell["Latitude"] and not -90 <= float(cell["Latitude"]) <= 90:
        found.append("Latitude out of range")
    if cell["Longitude"] and not -180 <= float(cell["Longitude"]) <= 180:
        found.append("Longitude out of range")
    if cell["Number of Observers"] and not cell["Number of Observers"].isdigit():
        found.append("Number of Observers is a whole number")
    if cell["All observations reported?"] not in {"Y", "N"}:
        found.append("All observations reported? is Y or N")
    for name in ("Species Comments", "Submission Comments"):
        if "\n" in cell[name] or len(cell[name]) > 8000:
            found.append(f"{name} is one line of reasonable length")
    if len(cell["Location Name"]) > 255:
        found.append("Location Name is at most 255 characters")
    return found


def records(owner, **options) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(exports.sightings_ebird_csv(owner, **options)))))


def sighting(owner, n: int, when: dt.datetime, *, key: str = "blujay", **fields) -> Sighting:
    job = finished_job(owner, FakeClassifier(), data=jpeg_bytes((32, 24), (n, 40, 200)))
    s = Sighting.objects.get(job=job)
    names = {
        "blujay": ("Blue Jay", "Cyanocitta cristata"),
        "amegfi": ("American Goldfinch", "Spinus tristis"),
    }
    s.species_key, (s.common_name, s.scientific_name) = key, names[key]
    s.confirmed, s.observed_at = True, when
    for field, value in fields.items():
        setattr(s, field, value)
    s.save()
    return s


def utc(y: int, m: int, d: int, h: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, minute, tzinfo=dt.UTC)


def test_every_record_has_eBirds_19_columns_in_eBirds_order_and_breaks_none_of_its_rules(owner) -> None:
    sighting(owner, 1, utc(2024, 5, 1, 6), location_name="Home, garden", latitude=51.5, longitude=-0.12)
    sighting(owner, 2, utc(2024, 5, 1, 23, 59), key="amegfi", notes="two, on the feeder\nthen gone")
    sighting(owner, 3, utc(2025, 12, 31, 0, 5), latitude=-33.9, longitude=151.2)
    assert exports.EBIRD_COLUMNS == EBIRD_ORDER
    rows = records(owner)
    assert len(rows) == 3 and rows[0] != EBIRD_ORDER  # no header row: eBird reads every line as a record
    assert {tuple(problems(r)) for r in rows} == {()}, [problems(r) for r in rows]


def test_the_rule_check_itself_finds_a_broken_record() -> None:
    good = [
        "Blue Jay", "Cyanocitta", "cristata", "1", "", "Home", "", "", "05/01/2024", "08:30", "", "",
        "Incidental", "1", "", "N", "", "", "",
    ]  # fmt: skip
    assert problems(good) == []
    assert problems(good[:18]) == ["18 columns, not 19"]
    bad = list(good)
    bad[3], bad[8], bad[9], bad[6] = "0", "2024-05-01", "8:30pm", "51.5"
    assert problems(bad) == [
        "Number is a positive whole number or X",
        "Date is MM/DD/YYYY",
        "Start Time is HH:MM, 24-hour",
        "Latitude and Longitude go together",
    ]


def test_the_number_is_the_count_the_owner_gave_not_the_number_of_photos(owner) -> None:
    first = sighting(owner, 1, utc(2024, 6, 1, 7), location_name="Pond")
    sighting(owner, 2, utc(2024, 6, 1, 9), location_name="Pond")
    assert first.count == 1  # the default
    assert [r[3] for r in records(owner)] == ["1"]  # two photos of one jay are one jay
    services.sighting_update(sighting=first, count=3)
    assert [r[3] for r in records(owner)] == ["3"]


def test_times_and_dates_are_in_the_owners_time_zone(owner) -> None:
    sighting(owner, 1, utc(2024, 5, 1, 23, 30))  # 1 May 23:30 UTC is 2 May 01:30 in Berlin (CEST)
    assert records(owner)[0][8:10] == ["05/01/2024", "23:30"]
    observers.observer_set_time_zone(user=owner, time_zone="Europe/Berlin")
    row = records(owner)[0]
    assert row[8:10] == ["05/02/2024", "01:30"] and "Europe/Berlin" in row[18]


def test_the_date_range_is_read_in_the_owners_time_zone_like_the_dates_in_the_file(owner) -> None:
    sighting(owner, 1, utc(2024, 5, 1, 23, 30))  # 2 May 01:30 in Berlin
    observers.observer_set_time_zone(user=owner, time_zone="Europe/Berlin")
    may_2 = dt.date(2024, 5, 2)
    assert [r[8] for r in records(owner, date_from=may_2, date_to=may_2)] == ["05/02/2024"]
    assert records(owner, date_to=dt.date(2024, 5, 1)) == []
    assert len(list(exports.sightings_csv(owner, date_from=may_2, date_to=may_2))) == 2  # header + row


def test_a_place_named_once_names_every_sighting_near_it_with_its_coordinates(owner) -> None:
    named = sighting(owner, 1, utc(2024, 5, 1, 8))
    services.sighting_set_place(
        sighting=named,
        observed_at=named.observed_at,
        location_name="Mill pond",
        latitude=52.0,
        longitude=13.0,
    )
    sighting(owner, 2, utc(2024, 5, 2, 8), latitude=52.002, longitude=13.001)  # ~240 m away
    sighting(owner, 3, utc(2024, 5, 3, 8), location_name="mill pond")  # typed the name, no GPS
    sighting(owner, 4, utc(2024, 5, 4, 8), latitude=52.1, longitude=13.0)  # 11 km away: not the pond
    rows = records(owner)
    assert [r[5:8] for r in rows] == [
        ["Mill pond", "52.000000", "13.000000"],
        ["Mill pond", "52.002000", "13.001000"],
        ["mill pond", "52.000000", "13.000000"],
        ["Unknown location", "52.100000", "13.000000"],
    ]
    assert {tuple(problems(r)) for r in rows} == {()}


def test_another_users_places_and_time_zone_do_not_reach_my_export(owner, stranger) -> None:
    observers.observer_set_time_zone(user=stranger, time_zone="Asia/Tokyo")
    observers.place_remember(user=stranger, name="Their garden", latitude=10.0, longitude=10.0)
    sighting(owner, 1, utc(2024, 5, 1, 8), latitude=10.0, longitude=10.0)
    row = records(owner)[0]
    # Not Tokyo time: the place's own zone (Africa/Lagos, UTC+1), from the coordinates.
    assert row[5] == "Unknown location" and row[9] == "09:00"


def test_an_unknown_time_zone_name_is_refused(owner) -> None:
    from birdsite.errors import Refused

    with pytest.raises(Refused) as refused:
        observers.observer_set_time_zone(user=owner, time_zone="Mars/Olympus")
    assert refused.value.code == "invalid_time_zone"


def camera_photo(owner, clock: str, offset: int | None, latitude=None, longitude=None):
    """A sighting whose photo's camera read ``clock`` (with ``offset`` minutes, if it stored one)."""
    from tests.fakes import FakeClassifier
    from tests.helpers import finished_job

    job = finished_job(owner, FakeClassifier())
    photo = job.photo
    naive = dt.datetime.fromisoformat(clock)
    zone = dt.timezone(dt.timedelta(minutes=offset)) if offset is not None else dt.UTC
    photo.taken_clock, photo.taken_offset, photo.taken_at = clock, offset, naive.replace(tzinfo=zone)
    photo.save()
    s = job.sighting
    s.observed_at, s.confirmed, s.latitude, s.longitude = photo.taken_at, True, latitude, longitude
    s.save()
    return s


def test_a_photo_taken_at_10_47_minus_8_is_exported_at_10_47_whatever_the_account_zone(owner) -> None:
    observers.observer_set_time_zone(user=owner, time_zone="Europe/Berlin")
    camera_photo(owner, "2024-05-01T10:47:00", -8 * 60)
    row = records(owner)[0]
    assert (row[8], row[9]) == ("05/01/2024", "10:47")  # was 19:47, in the account's zone
    assert "camera clock (UTC−08:00)" in row[18]


def test_a_camera_time_without_offset_does_not_move_when_the_account_zone_changes(owner) -> None:
    camera_photo(owner, "2024-05-01T06:15:00", None)
    before = records(owner)[0][9]
    observers.observer_set_time_zone(user=owner, time_zone="America/Los_Angeles")
    assert before == records(owner)[0][9] == "06:15"


def test_state_and_country_come_from_the_coordinates(owner) -> None:
    camera_photo(owner, "2024-05-01T06:15:00", None, latitude=37.77, longitude=-122.42)
    row = records(owner)[0]
    assert row[10:12] == ["CA", "US"]


def test_far_from_any_town_no_state_or_country_is_guessed(owner) -> None:
    camera_photo(owner, "2024-05-01T06:15:00", None, latitude=-40.0, longitude=-30.0)  # the South Atlantic
    assert records(owner)[0][10:12] == ["", ""]


def test_the_date_range_is_the_local_date_of_each_row(owner) -> None:
    # 23:30 in Los Angeles on 1 May is 2 May in Berlin (the owner's zone): the row is the 1st, where it was.
    observers.observer_set_time_zone(user=owner, time_zone="Europe/Berlin")
    camera_photo(owner, "2024-05-01T23:30:00", -7 * 60, latitude=34.05, longitude=-118.24)
    may_first = records(owner, date_from=dt.date(2024, 5, 1), date_to=dt.date(2024, 5, 1))
    assert [r[8] for r in may_first] == ["05/01/2024"]
    assert records(owner, date_from=dt.date(2024, 5, 2), date_to=dt.date(2024, 5, 2)) == []


def test_saving_the_sighting_to_the_minute_keeps_the_cameras_clock(owner) -> None:
    observers.observer_set_time_zone(user=owner, time_zone="Europe/Berlin")
    s = camera_photo(owner, "2024-05-01T10:47:31", -8 * 60)
    s.observed_at = s.observed_at.replace(second=0)  # what the form's datetime-local field posts back
    s.save()
    row = records(owner)[0]
    assert row[9] == "10:47" and "camera clock" in row[18]
