""" "Identify this part" over a bird an earlier look found names that bird, never a second sighting of it
(issue 24, item 4: the life list said 2 and the eBird comment "from 2 photos" for one photo)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.db import transaction
from django.urls import reverse

from birdsite.classification.services import classification_of_region
from birdsite.sightings import selectors as sighting_selectors
from birdsite.sightings.models import Sighting
from classifier.result import PhotoResult
from tests.fakes import FakeClassifier, fake_bird, fake_predictions, fake_result, species_answer_of
from tests.helpers import finished_job, process

pytestmark = pytest.mark.django_db


def located(box: tuple[float, float, float, float]):
    """A photo whose one bird the model found at ``box``."""
    result = fake_result()
    return replace(result, birds=(replace(result.best, box=box),))


def region_answer(label_first: int = 2):
    """The region's answer: another species first (a sharper look at the part)."""
    predictions = fake_predictions(0.8)
    predictions = predictions[label_first:] + predictions[:label_first]
    bird = replace(fake_bird(), predictions=predictions, answer=species_answer_of(predictions))
    return PhotoResult(model_version="test-1", birds=(bird,))


def name_a_part(owner, job, region, result):
    with transaction.atomic():
        part = classification_of_region(owner=owner, photo=job.photo, region=region)
        process([part.pk], FakeClassifier(result=result))
    part.refresh_from_db()
    return part


def test_a_region_over_the_bird_found_renames_its_sighting_instead_of_adding_one(owner) -> None:
    job = finished_job(owner, FakeClassifier(result=located((0.2, 0.2, 0.4, 0.4))))
    answer = region_answer()
    name_a_part(owner, job, [0.25, 0.25, 0.3, 0.3], answer)
    (sighting,) = Sighting.objects.filter(photo=job.photo)
    assert sighting.species_key == answer.best.predictions[0].label
    assert [c.count for c in sighting_selectors.species_counts_for(user=owner)] == [1]


def test_a_region_over_a_confirmed_bird_keeps_the_owners_name_and_links_to_that_sighting(
    owner, owner_client
) -> None:
    job = finished_job(owner, FakeClassifier(result=located((0.2, 0.2, 0.4, 0.4))))
    Sighting.objects.filter(job=job).update(confirmed=True)
    mine = Sighting.objects.get(job=job)
    part = name_a_part(owner, job, [0.25, 0.25, 0.3, 0.3], region_answer())
    assert list(Sighting.objects.filter(photo=job.photo)) == [mine]
    mine.refresh_from_db()
    assert mine.species_key == "amegfi"  # the owner's confirmed name stays
    page = owner_client.get(reverse("photos:job-status", args=[part.pk])).json()
    assert page["sighting_url"] == reverse("sightings:detail", args=[mine.pk]) and page["name_url"] is None


def test_a_region_where_no_bird_was_found_is_a_bird_of_its_own(owner) -> None:
    job = finished_job(owner, FakeClassifier(result=located((0.05, 0.05, 0.2, 0.2))))
    name_a_part(owner, job, [0.6, 0.6, 0.3, 0.3], region_answer())
    assert Sighting.objects.filter(photo=job.photo).count() == 2  # the model missed this one
