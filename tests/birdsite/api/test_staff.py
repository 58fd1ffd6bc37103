"""Staff API: the review queue, decisions, agreement numbers and the model registry; staff only."""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse

from birdsite import served
from birdsite.api import urls
from birdsite.photos.models import Prediction
from birdsite.registry import services as registry_services
from birdsite.registry.models import ModelEvent, ModelVersion
from birdsite.review.models import ReviewDecision
from birdsite.sightings.models import Sighting
from tests.review.conftest import job_with
from tests.review.test_registry import candidate, model_dir

pytestmark = pytest.mark.django_db
Status = ModelVersion.Status


@pytest.fixture
def shipped(tmp_path, settings) -> ModelVersion:
    """The served model, registered as active (a model directory without weights: nothing trains)."""
    settings.MODEL_DIR = str(model_dir(tmp_path, "shipped-1"))
    active = registry_services.model_version_ensure_active()
    assert active is not None
    return active


@pytest.fixture
def endpoints(owner):
    job = job_with(owner)
    version = ModelVersion.objects.create(version="cand-1", status=Status.CANDIDATE)
    return [
        ("get", reverse("api:staff-review-queue")),
        ("get", reverse("api:staff-review-dashboard")),
        ("post", reverse("api:staff-review-decide", args=[job.pk])),
        ("get", reverse("api:staff-model-list")),
        ("get", reverse("api:staff-model-detail", args=[version.pk])),
        ("post", reverse("api:staff-model-retrain")),
        ("post", reverse("api:staff-model-promote", args=[version.pk])),
        ("post", reverse("api:staff-model-rollback")),
        ("get", reverse("api:staff-model-new-species")),
    ]


def test_the_list_covers_every_staff_endpoint(endpoints) -> None:
    names = {p.name for p in urls.urlpatterns if p.name.startswith("staff-")}
    assert names == {resolve(url).url_name for _, url in endpoints}


def test_a_user_who_is_not_staff_gets_403_on_every_staff_endpoint(owner_api, stranger_api, endpoints):
    for api in (owner_api, stranger_api):  # the photo's owner is no reviewer either
        for method, url in endpoints:
            body = {"verdict": "accepted", "force": True, "reason": "x"}
            response = getattr(api, method)(url, body)
            assert response.status_code == 403, (method, url, response.status_code)
            assert response.json()["code"] == "permission_denied"
    assert not ReviewDecision.objects.exists()
    assert ModelVersion.objects.get().status == Status.CANDIDATE


def test_anonymous_requests_get_401_like_the_rest_of_the_api(anon_api, endpoints) -> None:
    for method, url in endpoints:
        response = getattr(anon_api, method)(url)
        assert response.status_code == 401, (method, url)
        assert response.json()["code"] == "not_authenticated"


def test_staff_list_the_queue_least_confident_first_with_filters(staff_api, owner) -> None:
    sure = job_with(owner, top_confidence=0.9)
    unsure = job_with(owner, top_confidence=0.3, version="test-2")
    no_bird = job_with(owner, top_confidence=0.5, is_bird=False)
    body = staff_api.get(reverse("api:staff-review-queue")).json()
    assert [item["id"] for item in body["results"]] == [unsure.pk, no_bird.pk, sure.pk]
    first = body["results"][0]
    assert first["photo"] == unsure.photo_id and first["model_version"] == "test-2"
    assert len(first["predictions"]) == 5 and first["predictions"][0]["label"] == "amegfi"
    assert first["predictions"][0]["confidence"] == pytest.approx(0.3)
    assert first["user_choice"]["species_key"] == "amegfi"  # the sighting the photo became
    Sighting.objects.filter(job=sure).update(species_key="blujay", common_name="Blue Jay")
    filtered = staff_api.get(reverse("api:staff-review-queue"), {"disputed": "true"}).json()
    assert [item["id"] for item in filtered["results"]] == [sure.pk]
    assert filtered["results"][0]["user_choice"]["common_name"] == "Blue Jay"
    filtered = staff_api.get(reverse("api:staff-review-queue"), {"species": "blujay"}).json()
    assert [item["id"] for item in filtered["results"]] == [sure.pk]
    filtered = staff_api.get(reverse("api:staff-review-queue"), {"model_version": "test-2"}).json()
    assert [item["id"] for item in filtered["results"]] == [unsure.pk]
    filtered = staff_api.get(reverse("api:staff-review-queue"), {"no_bird": "true"}).json()
    assert [item["id"] for item in filtered["results"]] == [no_bird.pk]
    paged = staff_api.get(reverse("api:staff-review-queue"), {"page_size": 1}).json()
    assert paged["count"] == 3 and len(paged["results"]) == 1


def test_a_correction_is_stored_beside_the_unchanged_predictions(staff_api, staff, owner) -> None:
    job = job_with(owner, top_confidence=0.4)
    before = list(Prediction.objects.filter(job=job).order_by("rank").values())
    url = reverse("api:staff-review-decide", args=[job.pk])
    response = staff_api.post(url, {"verdict": "corrected", "label": "houfin"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["job"], body["verdict"], body["label"]) == (job.pk, "corrected", "houfin")
    assert body["reviewer"] == staff.username and body["created_at"] and body["top1_label"] == "amegfi"
    assert body["common_name"] == "House Finch" and body["agrees"] is False
    assert list(Prediction.objects.filter(job=job).order_by("rank").values()) == before
    decision = ReviewDecision.objects.get()
    assert (decision.job_id, decision.reviewer, decision.label) == (job.pk, staff, "houfin")
    queue = staff_api.get(reverse("api:staff-review-queue")).json()
    assert job.pk not in [item["id"] for item in queue["results"]]
    dashboard = staff_api.get(reverse("api:staff-review-dashboard")).json()
    assert dashboard["reviewed"] == 1 and dashboard["versions"][0]["key"] == "test-1"
    assert dashboard["versions"][0]["top1_rate"] == 0.0 and dashboard["species"][0]["key"] == "houfin"
    assert dashboard["calibration"][0]["model_version"] == "test-1"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"verdict": "corrected", "label": "no-such-bird"}, "review_rejected"),
        ({"verdict": "corrected"}, "review_rejected"),
        ({"verdict": "maybe"}, "invalid"),
        ({}, "invalid"),
    ],
)
def test_a_bad_decision_is_400_in_the_error_format(staff_api, owner, body, code) -> None:
    job = job_with(owner)
    response = staff_api.post(reverse("api:staff-review-decide", args=[job.pk]), body)
    assert response.status_code == 400 and response.json()["code"] == code
    assert set(response.json()) >= {"code", "message"}
    assert not ReviewDecision.objects.exists()


def test_a_decision_on_an_unknown_job_is_404(staff_api) -> None:
    response = staff_api.post(reverse("api:staff-review-decide", args=[999999]), {"verdict": "skipped"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_staff_list_and_read_models(staff_api, shipped) -> None:
    better = candidate(shipped, "rt2", top1=0.85, base_top1=0.8)
    body = staff_api.get(reverse("api:staff-model-list")).json()
    rows = {row["version"]: row for row in body["results"]}
    assert rows["shipped-1"]["status"] == "active" and rows["rt2"]["status"] == "candidate"
    assert rows["rt2"]["promotion_check"]["allowed"] is True
    assert rows["rt2"]["held_out"] == {"n": 100, "top1": 0.85, "top5": 0.95}
    detail = staff_api.get(reverse("api:staff-model-detail", args=[better.pk])).json()
    assert detail["version"] == "rt2" and detail["parent"] == "shipped-1" and detail["events"] == []
    assert staff_api.get(reverse("api:staff-model-detail", args=[999999])).status_code == 404


def test_promote_a_better_candidate_then_roll_back(staff_api, staff, shipped) -> None:
    better = candidate(shipped, "rt2", top1=0.85, base_top1=0.8)
    response = staff_api.post(reverse("api:staff-model-promote", args=[better.pk]), {})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "active" and response.json()["promoted_by"] == staff.username
    assert served.active_model().version == "rt2"
    again = staff_api.post(reverse("api:staff-model-promote", args=[better.pk]), {})
    assert again.status_code == 409 and again.json()["code"] == "not_promotable"
    response = staff_api.post(reverse("api:staff-model-rollback"), {"reason": "drill"})
    assert response.status_code == 200 and response.json()["version"] == "shipped-1"
    assert served.active_model().version == "shipped-1"
    event = ModelEvent.objects.filter(action="rolled_back").get()
    assert (event.user, event.reason) == (staff, "drill")


def test_a_worse_candidate_is_refused_with_409_unless_forced_with_a_reason(staff_api, shipped) -> None:
    worse = candidate(shipped, "rt3", top1=0.7, base_top1=0.8)
    url = reverse("api:staff-model-promote", args=[worse.pk])
    response = staff_api.post(url, {})
    assert response.status_code == 409 and response.json()["code"] == "force_required"
    assert "Worse than shipped-1" in response.json()["message"]
    assert response.json()["details"]["candidate"]["top1"] == pytest.approx(0.7)
    response = staff_api.post(url, {"force": True})
    assert response.status_code == 400 and response.json()["code"] == "reason_required"
    assert served.active_model().version == "shipped-1"
    response = staff_api.post(url, {"force": True, "reason": "fixes the gulls"})
    assert response.status_code == 200 and response.json()["promotion_reason"] == "fixes the gulls"
    assert ModelEvent.objects.filter(action="forced", version=worse).exists()


def test_rollback_without_an_earlier_version_is_409(staff_api, shipped) -> None:
    response = staff_api.post(reverse("api:staff-model-rollback"), {})
    assert response.status_code == 409 and response.json()["code"] == "no_rollback_target"


def test_retrain_answers_202_and_queues_without_training(
    staff_api, staff, shipped, sent, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.post(reverse("api:staff-model-retrain"))
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["parent"] == "shipped-1"
    assert body["created_by"] == staff.username and sent == [("workers.retrain", [body["id"]])]
    busy = staff_api.post(reverse("api:staff-model-retrain"))
    assert busy.status_code == 409 and busy.json()["code"] == "retrain_busy"
    assert ModelVersion.objects.filter(status=Status.QUEUED).count() == 1
