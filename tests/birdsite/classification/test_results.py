"""The one writer of outcomes: several birds per photo, their boxes, a sighting each; a region looked at
again adds rows beside the old ones."""

from __future__ import annotations

import pytest

from birdsite.classification import services
from birdsite.photos.models import ClassificationJob, Prediction
from birdsite.sightings.models import Sighting
from classifier.result import PhotoResult
from tests.fakes import FakeClassifier, fake_two_birds
from tests.helpers import finished_job, process

pytestmark = pytest.mark.django_db
Status = ClassificationJob.Status


def two_birds(*, second_is_bird: bool = True) -> PhotoResult:
    return fake_two_birds(second_is_bird=second_is_bird)


def test_each_bird_of_a_photo_gets_its_box_its_answers_and_its_own_sighting(owner) -> None:
    job = finished_job(owner, FakeClassifier(result=two_birds()))
    rows = Prediction.objects.filter(job=job, rank=1).order_by("bird")
    assert [(p.bird, p.box, p.bird_score) for p in rows] == [
        (0, [0.1, 0.2, 0.3, 0.4], 0.95),
        (1, [0.6, 0.5, 0.2, 0.25], 0.8),
    ]
    assert Prediction.objects.filter(job=job).count() == 10
    sightings = list(Sighting.objects.filter(job=job).order_by("bird").values_list("bird", "species_key"))
    assert sightings == [(0, rows[0].label), (1, rows[1].label)] and rows[0].label != rows[1].label
    assert job.sighting.bird == 0


def test_a_second_region_that_is_no_bird_makes_no_sighting(owner) -> None:
    job = finished_job(owner, FakeClassifier(result=two_birds(second_is_bird=False)))
    assert list(Sighting.objects.filter(job=job).values_list("bird", flat=True)) == [0]


def test_a_photo_with_no_bird_is_kept_as_a_photo_and_makes_no_sighting(owner) -> None:
    no_bird = fake_two_birds(first_is_bird=False, second_is_bird=False)
    job = finished_job(owner, FakeClassifier(result=no_bird))
    assert job.status == Status.SUCCEEDED and job.photo_id is not None
    assert not Sighting.objects.filter(job=job).exists()
    assert Prediction.objects.filter(job=job, bird=0).exists()  # what the model said is still kept


def test_a_look_at_the_whole_photo_is_one_bird_whose_box_marks_no_part(owner) -> None:
    job = finished_job(owner)  # the classifier's whole-photo look: box (0, 0, 1, 1)
    rows = Prediction.objects.filter(job=job)
    assert {tuple(p.box) for p in rows} == {(0.0, 0.0, 1.0, 1.0)} and {p.part_box for p in rows} == {None}
    assert Sighting.objects.get(job=job).bird == 0


def test_a_region_the_user_drew_is_a_new_job_and_the_old_rows_stay(owner, sent) -> None:
    first = finished_job(owner)
    before = list(Prediction.objects.filter(job=first).values_list("pk", flat=True))
    again = services.classification_of_region(owner=owner, photo=first.photo, region=[0.25, 0.25, 0.5, 0.5])
    fake = FakeClassifier()
    process([again.pk], fake)
    again.refresh_from_db()
    assert again.status == Status.SUCCEEDED and again.photo_id == first.photo_id
    assert fake.regions == [[0.25, 0.25, 0.5, 0.5]]  # the model was asked about that part only
    assert list(Prediction.objects.filter(job=first).values_list("pk", flat=True)) == before


@pytest.mark.parametrize(
    ("region", "code"),
    [
        ([0.5, 0.5, 0.6, 0.2], "invalid_region"),  # past the right edge
        ([-0.1, 0.0, 0.5, 0.5], "invalid_region"),
        ([0.1, 0.1, 0.0, 0.3], "region_too_small"),
        (["a", 0, 1, 1], "invalid_region"),
        ([0.1, 0.2, 0.3], "invalid_region"),
    ],
)
def test_a_region_outside_the_photo_or_of_no_size_is_refused_with_a_stable_code(owner, region, code) -> None:
    job = finished_job(owner)
    with pytest.raises(services.RegionRefused) as refused:
        services.classification_of_region(owner=owner, photo=job.photo, region=region)
    assert refused.value.code == code
    assert ClassificationJob.objects.count() == 1


def test_the_review_judges_the_best_bird_alone(owner) -> None:
    from birdsite.review.selectors import predictions_of

    job = finished_job(owner, FakeClassifier(result=two_birds()))
    shown = predictions_of(job)
    assert [p.rank for p in shown] == [1, 2, 3, 4, 5] and {p.bird for p in shown} == {0}
