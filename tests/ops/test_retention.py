"""Retention: which originals give way to their thumbnail, and that everything else stays."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from birdsite.ops.models import RetentionRun
from birdsite.ops.retention import Policy, retention_apply, retention_plan
from birdsite.photos.models import ClassificationJob, Photo
from birdsite.review.models import ReviewDecision
from birdsite.sightings.models import Sighting
from tests.batches.helpers import photo
from tests.fakes import FakeClassifier, fake_result
from tests.helpers import finished_job, submit

pytestmark = pytest.mark.django_db


def aged(owner, n: int, *, days: float, confidence: float = 0.9):
    """A finished photo of American Goldfinch (the fake's top-1) uploaded ``days`` ago."""
    result = fake_result(top_confidence=confidence)
    job = finished_job(owner, FakeClassifier(result=result), data=photo(n, (200, 150)))
    Photo.objects.filter(pk=job.photo_id).update(created_at=timezone.now() - timedelta(days=days))
    return Photo.objects.get(pk=job.photo_id)


@pytest.fixture
def apply(django_capture_on_commit_callbacks):
    """retention_apply with its after-commit file deletions run, as outside a test transaction."""

    def run(policy: Policy) -> RetentionRun:
        with django_capture_on_commit_callbacks(execute=True):
            return retention_apply(policy=policy)

    return run


def original_kept(p: Photo) -> bool:
    p.refresh_from_db()
    return p.image.name != p.thumbnail.name


def test_no_policy_removes_nothing(owner) -> None:
    aged(owner, 1, days=400)
    assert retention_plan(policy=Policy()).photos == []


def test_originals_older_than_n_days_give_way_to_their_thumbnail(owner, apply) -> None:
    old, new = aged(owner, 1, days=40), aged(owner, 2, days=5)
    old_file, old_size = old.image.path, old.size_bytes
    thumb_bytes = old.thumbnail.read()
    plan = retention_plan(policy=Policy(days=30))
    assert [c.photo_id for c in plan.photos] == [old.pk] and plan.bytes == old_size

    run = apply(Policy(days=30))
    assert (run.photos, run.bytes_freed) == (1, old_size)
    assert not original_kept(old) and original_kept(new)
    assert not os.path.exists(old_file)
    old.refresh_from_db()
    assert old.image.read() == thumb_bytes  # the image view now serves the thumbnail
    assert old.size_bytes == len(thumb_bytes)  # the quota counts what is stored
    assert Sighting.objects.filter(photo=old).exists() and old.jobs.get().predictions.count() == 5


def test_the_owner_still_gets_the_photo_page_and_image_after_retention(owner, owner_client, apply) -> None:
    old = aged(owner, 1, days=40)
    apply(Policy(days=30))
    response = owner_client.get(f"/photos/{old.pk}/image")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == old.thumbnail.read()
    assert owner_client.get(f"/sightings/{Sighting.objects.get(photo=old).pk}/").status_code == 200


def test_only_the_best_n_per_species_and_user_keep_their_original(owner, stranger, apply) -> None:
    low, mid, high = (aged(owner, n, days=1, confidence=c) for n, c in ((1, 0.55), (2, 0.7), (3, 0.95)))
    confirmed_low = aged(owner, 4, days=1, confidence=0.5)
    Sighting.objects.filter(photo=confirmed_low).update(confirmed=True)
    theirs = aged(stranger, 5, days=1, confidence=0.5)  # the stranger's only goldfinch: their best
    plan = retention_plan(policy=Policy(best_per_species=2))
    assert sorted(c.photo_id for c in plan.photos) == sorted([low.pk, mid.pk])
    apply(Policy(best_per_species=2))
    assert [original_kept(p) for p in (low, mid, high, confirmed_low, theirs)] == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_both_rules_remove_only_old_photos_outside_the_best(owner) -> None:
    old_low = aged(owner, 1, days=40, confidence=0.55)
    aged(owner, 2, days=40, confidence=0.95)
    aged(owner, 3, days=1, confidence=0.5)
    plan = retention_plan(policy=Policy(days=30, best_per_species=1))
    assert [c.photo_id for c in plan.photos] == [old_low.pk]


def test_unfinished_and_reviewed_photos_keep_their_original(owner, staff) -> None:
    pending = submit(owner, photo(7, (200, 150)))
    reviewed = aged(owner, 8, days=40)
    ReviewDecision.objects.create(
        job=reviewed.jobs.get(),
        reviewer=staff,
        model_version="test-1",
        verdict=ReviewDecision.Verdict.ACCEPTED,
        label="amegfi",
        top1_label="amegfi",
        top1_confidence=0.9,
    )
    Photo.objects.filter(pk=pending.photo_id).update(created_at=timezone.now() - timedelta(days=40))
    assert retention_plan(policy=Policy(days=30)).photos == []
    assert ClassificationJob.objects.get(pk=pending.pk).status == ClassificationJob.Status.PENDING


def test_a_file_another_photo_still_uses_is_not_deleted(owner, apply) -> None:
    old = aged(owner, 1, days=40)
    twin = aged(owner, 2, days=1)
    Photo.objects.filter(pk=twin.pk).update(image=old.image.name)  # the same stored file, as for duplicates
    run = apply(Policy(days=30))
    assert run.photos == 1 and run.bytes_freed == 0
    twin.refresh_from_db()
    assert twin.image.read()  # still there


def test_the_command_is_a_dry_run_unless_told_to_apply(
    owner, settings, capsys, django_capture_on_commit_callbacks
) -> None:
    settings.RETENTION_ORIGINALS_DAYS = 30
    old = aged(owner, 1, days=40)
    call_command("retention")
    out = capsys.readouterr().out
    assert "dry run" in out and "1 originals" in out
    assert original_kept(old) and not RetentionRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("retention", "--apply")
    assert not original_kept(old) and RetentionRun.objects.get().photos == 1
    call_command("retention", "--apply")  # nothing left to do
    assert RetentionRun.objects.order_by("-id").first().photos == 0


def test_the_command_takes_the_policy_from_its_options(owner, capsys) -> None:
    aged(owner, 1, days=10)
    call_command("retention", "--days", "5")
    assert "1 originals" in capsys.readouterr().out
