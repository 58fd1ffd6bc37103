"""The upload page's "Recent" list names what each photo shows and how sure the model is (issue 14)."""

from __future__ import annotations

import re

import pytest

from tests.fakes import FakeClassifier, fake_result
from tests.helpers import finished_job, submit

pytestmark = pytest.mark.django_db


def recent_items(owner_client) -> dict[int, str]:
    html = owner_client.get("/").content.decode()
    return {int(pk): body for pk, body in re.findall(r'data-recent-job="(\d+)">(.*?)</li>', html, re.S)}


def test_recent_shows_the_species_and_its_confidence_never_just_succeeded(owner, owner_client) -> None:
    job = finished_job(owner, FakeClassifier(result=fake_result(top_confidence=0.91)))
    item = recent_items(owner_client)[job.pk]
    assert job.sighting.common_name in item and "91\xa0%" in item and "Succeeded" not in item


def test_recent_shows_the_owners_own_name_once_they_renamed_it(owner, owner_client) -> None:
    job = finished_job(owner)
    job.sighting.__class__.objects.filter(pk=job.sighting.pk).update(
        common_name="My own bird", species_key="x"
    )
    item = recent_items(owner_client)[job.pk]
    assert "My own bird" in item and "%" not in item  # the model never said "x": no confidence to show


def test_recent_says_no_bird_and_shows_waiting_jobs_status(owner, owner_client, sent) -> None:
    no_bird = finished_job(owner, FakeClassifier(result=fake_result(is_bird=False)))
    waiting = submit(owner)
    items = recent_items(owner_client)
    assert "No bird found" in items[no_bird.pk]
    assert (
        "Pending" in items[waiting.pk]
        or "Queued" in items[waiting.pk]
        or "badge pending" in items[waiting.pk]
    )
