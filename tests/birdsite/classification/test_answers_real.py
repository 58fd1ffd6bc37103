"""Issue 17 through the real pipeline: the shipped classifier's answers, stored by the results writer and
read back by the pages and the API (the unit tests feed contract dicts; this runs the model)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from birdsite.photos.models import BirdAnswer
from birdsite.photos.payloads import job_payload
from birdsite.sightings.models import Sighting
from classifier.result import UNKNOWN_NAME, AnswerKind
from classifier.serving import ranks
from classifier.serving.openset import OpenSet
from tests.helpers import process, submit

pytestmark = [pytest.mark.model, pytest.mark.django_db]
REPO = Path(__file__).resolve().parents[3]
BIRDS = Path(os.environ.get("BIRDSITE_DATASETS") or REPO.parent / "shared" / "datasets" / "birds")


@pytest.fixture(scope="module")
def bird_photo() -> Path:
    jays = BIRDS / "cub100" / "Blue_Jay"
    if not jays.is_dir():
        pytest.skip(f"no shared bird photos at {BIRDS}")
    return jays / sorted(os.listdir(jays))[0]


@pytest.fixture(scope="module")
def real_classifier():
    import classifier

    return classifier.load()


def test_the_real_model_answers_are_stored_for_every_bird(owner, real_classifier, bird_photo) -> None:
    job = submit(owner, bird_photo.read_bytes())
    process([job.pk], real_classifier)
    job.refresh_from_db()
    answers = list(BirdAnswer.objects.filter(job=job).order_by("bird"))
    assert answers and answers[0].model_version == job.model_version == real_classifier.model_version
    assert {a.kind for a in answers} <= {k.value for k in AnswerKind}
    assert all(a.known_score is not None for a in answers)
    assert job_payload(job)["answer"]["kind"] == answers[0].kind


def test_a_bird_below_the_open_set_threshold_is_stored_as_unknown_and_left_unnamed(
    owner, real_classifier, bird_photo, monkeypatch
) -> None:
    # A rule no bird can pass (no probability reaches 1.01): every bird is "a species it may not know".
    rule = OpenSet(score="max_probability", thresholds={"all": 1.01})
    monkeypatch.setattr(real_classifier, "config", dataclasses.replace(real_classifier.config, open_set=rule))
    # Nor any genus or family: the model knows other corvids, and their family would be answered first.
    monkeypatch.setattr(ranks, "_higher", lambda *args: None)
    job = submit(owner, bird_photo.read_bytes())
    process([job.pk], real_classifier)
    job.refresh_from_db()
    answer = BirdAnswer.objects.filter(job=job, bird=0).get()
    assert (answer.kind, answer.label, answer.common_name) == ("unknown", "", UNKNOWN_NAME)
    assert len(answer.closest) == 3 and all(c["label"] in real_classifier.catalog for c in answer.closest)
    top = job.predictions.get(bird=0, rank=1, model_version=job.model_version)
    assert answer.closest[0]["label"] == top.label  # the closest known taxon is the model's own top-1
    assert job.is_bird  # a Blue Jay of CUB: the bird gate passes it, so it has a sighting to name
    assert Sighting.objects.get(job=job, bird=0).species_key == ""
    assert job_payload(job)["answer"]["common_name"] == "a species the model may not know"
