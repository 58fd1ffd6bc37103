"""Life list, year lists, and the CSV / eBird Record Format exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from birdsite.sightings import exports
from birdsite.sightings.lifelist import lifelist_for
from birdsite.sightings.models import Sighting
from tests.fakes import FakeClassifier, jpeg_bytes
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db


def sighting(
    owner, n: int, when: dt.datetime, *, key: str = "amegfi", confirmed: bool = True, **place
) -> Sighting:
    job = finished_job(owner, FakeClassifier(), data=jpeg_bytes((32, 24), (n, 10, 200)))
    s = Sighting.objects.get(job=job)
    names = {
        "amegfi": ("American Goldfinch", "Spinus tristis"),
        "blujay": ("Blue Jay", "Cyanocitta cristata"),
    }
    s.species_key, (s.common_name, s.scientific_name) = key, names[key]
    s.confirmed, s.observed_at = confirmed, when
    for field, value in place.items():
        setattr(s, field, value)
    s.save()
    return s


def at(y: int, m: int, d: int, h: int = 8) -> dt.datetime:
    return dt.datetime(y, m, d, h, 30, tzinfo=dt.UTC)


@pytest.fixture
def history(owner) -> list[Sighting]:
    return [
        sighting(owner, 1, at(2024, 5, 1), location_name="Home", latitude=51.5, longitude=-0.12),
        sighting(owner, 2, at(2024, 5, 3)),
        sighting(owner, 3, at(2025, 1, 9), key="blujay", latitude=40.7, longitude=-74.0),
        sighting(owner, 4, at(2023, 2, 2), key="blujay", confirmed=False),
    ]


def test_the_life_list_has_each_confirmed_species_once_with_its_first_date_and_place(owner, history) -> None:
    life = lifelist_for(owner)
    assert [(e.species_key, e.first_seen, e.first_place, e.count) for e in life.entries] == [
        ("amegfi", at(2024, 5, 1), "Home", 2),
        ("blujay", at(2025, 1, 9), "40.70000, -74.00000", 1),
    ]
    assert life.years == [(2025, 1), (2024, 1)]


def test_a_year_list_counts_only_that_year(owner, history) -> None:
    assert [e.species_key for e in lifelist_for(owner, year=2025).entries] == ["blujay"]
    assert lifelist_for(owner, year=2023).entries == []


def test_another_users_sightings_are_not_on_my_list(owner, stranger, history) -> None:
    assert lifelist_for(stranger).entries == []


def test_the_csv_export_has_confirmed_sightings_with_confidence(owner, history) -> None:
    rows = list(csv.DictReader(io.StringIO("".join(exports.sightings_csv(owner)))))
    assert [r["species_key"] for r in rows] == ["amegfi", "amegfi", "blujay"]
    assert rows[0]["confidence"] == "0.910" and rows[0]["location_name"] == "Home"
    assert rows[0]["latitude"] == "51.500000" and rows[0]["date"] == "2024-05-01"
    everything = list(
        csv.DictReader(io.StringIO("".join(exports.sightings_csv(owner, include_unconfirmed=True))))
    )
    assert len(everything) == 4


def test_the_csv_export_defuses_spreadsheet_formulas(owner) -> None:
    s = sighting(owner, 9, at(2024, 1, 1), notes='=HYPERLINK("http://evil")')
    row = next(csv.DictReader(io.StringIO("".join(exports.sightings_csv(owner)))))
    assert row["notes"].startswith("'=") and s.notes.startswith("=")


def test_the_ebird_export_follows_the_record_format(owner, history) -> None:
    rows = list(csv.reader(io.StringIO("".join(exports.sightings_ebird_csv(owner)))))
    assert all(len(r) == 19 == len(exports.EBIRD_COLUMNS) for r in rows)
    assert exports.EBIRD_COLUMNS[:4] == ["Common Name", "Genus", "Species", "Number"]
    assert exports.EBIRD_COLUMNS[8:10] == ["Date", "Start Time"]
    first, second, third = rows  # no header row: eBird reads every line as a record
    assert first[:4] == ["American Goldfinch", "Spinus", "tristis", "1"]
    # 08:30 UTC in London in May: 09:30 there, where the bird was seen (the owner's zone is UTC).
    assert first[5:10] == ["Home", "51.500000", "-0.120000", "05/01/2024", "09:30"]
    assert first[10:12] == ["ENG", "GB"] and third[10:12] == ["NY", "US"]  # from the coordinates, offline
    assert second[10:12] == ["", ""]  # no place known: eBird asks
    assert first[12:16] == ["Incidental", "1", "", "N"]
    assert "confidence 91%" in first[4] and "confirmed by observer" in first[4]
    assert second[5] == "Unknown location" and second[8] == "05/03/2024"
    assert third[:3] == ["Blue Jay", "Cyanocitta", "cristata"] and third[6:8] == ["40.700000", "-74.000000"]


def test_two_photos_of_one_jay_at_one_place_on_one_day_are_one_jay(owner) -> None:
    sighting(owner, 1, at(2024, 6, 1, 7), location_name="Pond")
    sighting(owner, 2, at(2024, 6, 1, 9), location_name="Pond")
    header, row = list(csv.reader(io.StringIO("".join(exports.sightings_ebird_csv(owner, header=True)))))
    assert header == exports.EBIRD_COLUMNS
    assert row[3] == "1" and row[9] == "07:30" and row[4].startswith("Identified from 2 photos")


def test_the_export_urls_are_owner_only_downloads(owner_client, history, stranger) -> None:
    from django.test import Client

    stranger_client = Client()
    stranger_client.force_login(stranger)
    response = owner_client.get("/sightings/ebird.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert b"American Goldfinch" in b"".join(response.streaming_content)
    other = stranger_client.get("/sightings/export.csv")
    assert b"American Goldfinch" not in b"".join(other.streaming_content)
    assert owner_client.get("/lifelist/").status_code == 200
    assert b"Blue Jay" in owner_client.get("/lifelist/2025/").content
