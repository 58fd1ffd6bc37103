"""Review decisions, the queue and the dashboard, with a fake model's predictions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from birdsite.photos.models import Prediction
from birdsite.review import selectors, services, stats
from birdsite.review.models import ReviewDecision
from birdsite.sightings.models import Sighting
from tests.review.conftest import job_with

pytestmark = pytest.mark.django_db
Verdict = ReviewDecision.Verdict


def test_a_correction_creates_a_label_and_keeps_the_prediction(owner, staff) -> None:
    job = job_with(owner, top_confidence=0.4)
    before = list(Prediction.objects.filter(job=job).values_list("rank", "label", "confidence"))
    decision = services.review_decide(job=job, reviewer=staff, verdict="corrected", label="norcar")
    assert (decision.label, decision.common_name, decision.reviewer, decision.top1_label) == (
        "norcar",
        "Northern Cardinal",
        staff,
        "amegfi",
    )
    assert decision.label_rank is None and decision.top1_confidence == pytest.approx(0.4)
    assert list(Prediction.objects.filter(job=job).values_list("rank", "label", "confidence")) == before
    assert decision.created_at is not None and decision.model_version == "test-1"
    [label] = selectors.training_corrections()
    assert (label.label, label.decision_id) == ("norcar", decision.pk)
    assert label.name == job.photo.image.name


def test_a_second_decision_is_added_and_the_newest_one_counts(owner, staff) -> None:
    job = job_with(owner)
    services.review_decide(job=job, reviewer=staff, verdict="accepted")
    services.review_decide(job=job, reviewer=staff, verdict="not_bird")
    assert ReviewDecision.objects.filter(job=job).count() == 2  # the audit trail keeps both
    assert selectors.training_corrections() == []


def test_a_label_outside_the_catalog_is_refused(owner, staff) -> None:
    job = job_with(owner)
    with pytest.raises(services.ReviewRejected):
        services.review_decide(job=job, reviewer=staff, verdict="corrected", label="dodo")
    with pytest.raises(services.ReviewRejected):
        services.review_decide(job=job, reviewer=staff, verdict="maybe")


def test_the_queue_starts_with_the_least_confident_and_filters(owner, staff) -> None:
    sure = job_with(owner, top_confidence=0.95)
    unsure = job_with(owner, top_confidence=0.3)
    no_bird = job_with(owner, top_confidence=0.5, is_bird=False, version="test-2")
    disputed = job_with(owner, top_confidence=0.7)
    Sighting.objects.filter(job=disputed).update(species_key="blujay", common_name="Blue Jay")

    def ids(**filters):
        queue = selectors.review_queue(reviewer=staff, filters=selectors.QueueFilters(**filters))
        return [j.pk for j in queue]

    assert ids() == [unsure.pk, no_bird.pk, disputed.pk, sure.pk]
    assert ids(disputed=True) == [disputed.pk]
    assert ids(no_bird=True) == [no_bird.pk]
    assert ids(model_version="test-2") == [no_bird.pk]
    assert ids(species="blujay") == [disputed.pk]
    services.review_decide(job=unsure, reviewer=staff, verdict="accepted")
    services.review_decide(job=sure, reviewer=staff, verdict="skipped")
    assert ids() == [no_bird.pk, disputed.pk]  # reviewed and (for this reviewer) skipped ones leave


def test_the_dashboard_counts_agreement_per_version_and_species(owner, staff) -> None:
    jobs = [job_with(owner, top_confidence=c) for c in (0.95, 0.9, 0.35, 0.3)]
    services.review_decide(job=jobs[0], reviewer=staff, verdict="accepted")
    services.review_decide(job=jobs[1], reviewer=staff, verdict="accepted")
    services.review_decide(job=jobs[2], reviewer=staff, verdict="corrected", label="houfin")  # rank 2
    services.review_decide(job=jobs[3], reviewer=staff, verdict="corrected", label="blujay")  # not in top-5
    data = stats.dashboard()
    [version] = data.versions
    assert (version.labelled, version.top1, version.top5) == (4, 2, 3)
    assert version.top1_rate == 0.5 and version.top5_rate == 0.75
    by_key = {a.key: a for a in data.species}
    assert by_key["amegfi"].top1_rate == 1.0 and by_key["houfin"].top1_rate == 0.0
    bins = {round(b.low, 1): b for b in data.calibration["test-1"] if b.n}
    assert bins[0.9].rate == 1.0 and bins[0.3].rate == 0.0 and bins[0.3].n == 2


def test_a_reviewer_decides_on_the_page_and_sees_the_dashboard(client, owner, staff) -> None:
    job = job_with(owner, top_confidence=0.3)
    client.force_login(staff)
    page = client.get(reverse("review:queue"))
    assert page.context["item"].pk == job.pk and b"American Goldfinch" in page.content
    response = client.post(
        reverse("review:decide", args=[job.pk]), {"verdict": "corrected", "label": "houfin"}
    )
    assert response.status_code == 302
    assert ReviewDecision.objects.get().label == "houfin"
    assert client.get(reverse("review:queue")).context["item"] is None
    dashboard = client.get(reverse("review:dashboard"))
    assert dashboard.content.count(b"<svg") == 3 and b"House Finch" in dashboard.content
    search = client.get(reverse("review:species-search"), {"q": "grosbeak"}).json()
    assert {r["key"] for r in search["results"]} == {"pingro", "eveg"}
    assert client.get(reverse("review:image", args=[job.pk])).status_code == 200


def test_accepting_the_top_1_of_a_photo_with_no_bird_is_refused_and_labels_nothing(owner, staff) -> None:
    cup = job_with(owner, is_bird=False)
    with pytest.raises(services.ReviewRejected) as refused:
        services.review_decide(job=cup, reviewer=staff, verdict="accepted")
    assert refused.value.code == "no_bird_to_accept"
    assert not ReviewDecision.objects.filter(job=cup).exists()
    assert selectors.training_corrections() == []


def test_naming_a_photo_with_no_bird_as_its_top_1_is_a_correction_not_agreement(owner, staff) -> None:
    cup = job_with(owner, is_bird=False)
    decision = services.review_decide(job=cup, reviewer=staff, verdict="corrected", label="amegfi")
    assert decision.verdict == Verdict.CORRECTED and decision.label == "amegfi"
    [label] = selectors.training_corrections()
    assert label.label == "amegfi"  # the reviewer named it


def test_an_old_accept_on_a_photo_with_no_bird_never_becomes_a_training_label(owner, staff) -> None:
    cup = job_with(owner, is_bird=False)
    ReviewDecision.objects.create(
        job=cup, model_version=cup.model_version, verdict=Verdict.ACCEPTED, label="amegfi",
        common_name="American Goldfinch", top1_label="amegfi", top1_confidence=0.9, reviewer_id=staff.pk,
    )  # fmt: skip
    assert selectors.training_corrections() == []


def test_the_queue_offers_no_bird_or_a_name_for_a_photo_with_no_bird(client, owner, staff) -> None:
    cup = job_with(owner, is_bird=False, top_confidence=0.3)
    client.force_login(staff)
    page = client.get(reverse("review:queue")).content.decode()
    assert f"Job {cup.pk}" in page
    assert "data-accept>" not in page and "data-no-bird-choice" in page
