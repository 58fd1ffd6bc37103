"""The results writer stores each bird's open-set answer per model version (issue 17); birds stored
before answers read as their rank-1 prediction."""

from __future__ import annotations

import pytest

from birdsite.classification import results
from birdsite.photos.models import BirdAnswer, ClassificationJob
from birdsite.photos.payloads import job_payload
from birdsite.photos.selectors import current_answers
from birdsite.sightings.models import Sighting
from tests.answers import UNKNOWN_TEXT, result_with
from tests.fakes import FakeClassifier
from tests.helpers import finished_job, process, submit

pytestmark = pytest.mark.django_db
Kind = BirdAnswer.Kind


def test_it_stores_an_unknown_answer_with_its_closest_known_taxa_and_score(owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("unknown")))
    answer = BirdAnswer.objects.get(job=job)
    assert (answer.kind, answer.bird, answer.model_version) == (Kind.UNKNOWN, 0, "test-1")
    assert (answer.label, answer.rank, answer.common_name) == ("", "", UNKNOWN_TEXT)
    assert (answer.confidence, answer.known_score) == (0.12, -3.5)
    assert [c["label"] for c in answer.closest] == ["amegfi", "houfin", "pingro"]
    assert answer.closest[0] == {
        "label": "amegfi",
        "common_name": "American Goldfinch",
        "scientific_name": "Spinus tristis",
        "confidence": 0.91,
    }


def test_a_bird_answered_unknown_gets_a_sighting_left_for_the_user_to_name(owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("unknown")))
    sighting = Sighting.objects.get(job=job)
    assert (sighting.species_key, sighting.common_name, sighting.confirmed) == ("", "", False)


def test_a_known_species_is_stored_and_its_sighting_named_after_it(owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("species")))
    answer = BirdAnswer.objects.get(job=job)
    assert (answer.kind, answer.label, answer.known_score) == (Kind.SPECIES, "amegfi", 4.0)
    assert Sighting.objects.get(job=job).species_key == "amegfi"


def test_a_genus_answer_keeps_its_rank_and_name(owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("higher_taxon", top_confidence=0.4)))
    answer = current_answers(job)[0]
    assert (answer.kind, answer.rank, answer.label, answer.scientific_name) == (
        Kind.HIGHER_TAXON,
        "genus",
        "genus-spinus",
        "Spinus",
    )


def test_a_bird_stored_without_an_answer_reads_as_its_rank_one_prediction(owner) -> None:
    job = finished_job(owner)
    BirdAnswer.objects.filter(job=job).delete()  # as rows stored before open-set answers are
    answer = current_answers(job)[0]
    assert answer.pk is None
    assert (answer.kind, answer.rank, answer.label, answer.confidence) == (
        Kind.SPECIES,
        "species",
        "amegfi",
        0.91,
    )
    assert job_payload(job)["answer"]["kind"] == "species"


def test_a_second_delivery_adds_no_answer_and_a_new_model_version_adds_its_own(owner) -> None:
    job = submit(owner)
    result = result_with("unknown")
    process([job.pk], FakeClassifier(result=result))
    stored = results.answer_rows(job.pk, "test-1", result)
    assert len(stored) == 1 and stored[0].pk is None  # unsaved rows, one per bird with an answer
    ClassificationJob.objects.filter(pk=job.pk).update(status=ClassificationJob.Status.PENDING)
    process([job.pk], FakeClassifier(result=result))
    assert BirdAnswer.objects.filter(job=job).count() == 1
    ClassificationJob.objects.filter(pk=job.pk).update(status=ClassificationJob.Status.PENDING)
    process([job.pk], FakeClassifier(model_version="test-2", result=result_with("species")))
    job.refresh_from_db()
    assert sorted(BirdAnswer.objects.filter(job=job).values_list("model_version", "kind")) == [
        ("test-1", "unknown"),
        ("test-2", "species"),
    ]
    assert current_answers(job)[0].kind == Kind.SPECIES


def test_a_photo_with_no_bird_stores_no_answer_though_the_classifier_gave_one(owner) -> None:
    # The open-set score of a look at no bird is low: stored, it would read "a species it may not know".
    job = finished_job(owner, FakeClassifier(result=result_with("unknown", is_bird=False)))
    assert job.is_bird is False and not BirdAnswer.objects.filter(job=job).exists()
