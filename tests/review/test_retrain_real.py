"""Retraining for real on a few CUB species from ../shared, and a running worker switching models.

Small on purpose: four species, 20 photos each, cached features, a few epochs.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from birdsite.classification import services as photo_services
from birdsite.photos.models import ClassificationJob
from birdsite.registry import selectors, services
from birdsite.registry.models import ModelVersion
from birdsite.review import services as review_services
from tests.classifier.conftest import BIRDS, link_cub_subset
from tests.live import live_env, start

pytestmark = [pytest.mark.model, pytest.mark.shared]
SPECIES = ("Blue_Jay", "Green_Jay", "American_Goldfinch", "Barn_Swallow")
OPTIONS = {"head": "cosine", "epochs": 12, "train_views": ["orig", "flip"]}
Status = ModelVersion.Status


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory) -> Path:
    if not (BIRDS / "cub100").is_dir():
        pytest.skip(f"no shared bird photos at {BIRDS}")
    return link_cub_subset(tmp_path_factory.mktemp("data"), SPECIES)


@pytest.fixture(scope="module")
def base_model(small_dataset, tmp_path_factory) -> Path:
    from classifier.catalog import Catalog
    from classifier.training.train import TrainOptions, train

    out = tmp_path_factory.mktemp("models") / "base-small"
    train([small_dataset], out, catalog=Catalog.load(), options=TrainOptions(**OPTIONS))
    return out


@pytest.fixture(scope="module")
def retrained_model(small_dataset, base_model, tmp_path_factory) -> Path:
    from classifier.catalog import Catalog
    from classifier.training.corrections import Correction, train_with_corrections
    from classifier.training.train import TrainOptions

    out = tmp_path_factory.mktemp("models") / "retrained-small"
    extra = [Correction(p, "blujay") for p in sorted((BIRDS / "cub100" / "Blue_Jay").iterdir())[20:25]]
    train_with_corrections(
        [small_dataset], out, corrections=extra, catalog=Catalog.load(), options=TrainOptions(**OPTIONS),
        base_model_dir=base_model,
    )  # fmt: skip
    return out


def photo_upload(species: str, number: int) -> SimpleUploadedFile:
    path = sorted((BIRDS / "cub100" / species).iterdir())[number]
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="image/jpeg")


@pytest.mark.django_db
def test_retraining_on_a_small_real_set_produces_a_candidate_with_metrics(
    small_dataset, base_model, owner, staff, settings, tmp_path
) -> None:
    from workers.retrain_tasks import retrain

    settings.MODEL_STORE_DIR = tmp_path / "store"
    base = services.model_version_register(directory=base_model, status=Status.ACTIVE)
    from classifier.catalog import Catalog
    from classifier.training.corrections import dataset_samples

    held_out = next(
        s.path
        for s in dataset_samples([small_dataset], Catalog.load(), seed=20201, valid=0.15, test=0.15)
        if s.split == "test" and s.label == "blujay"
    )
    uploads = [photo_upload("Blue_Jay", 30), photo_upload("Blue_Jay", 31)]  # outside the small set
    uploads.append(SimpleUploadedFile("leak.jpg", held_out.read_bytes(), content_type="image/jpeg"))
    for upload, verdict in zip(uploads, ("corrected", "accepted", "corrected"), strict=True):
        job = photo_services.classification_submit(owner=owner, upload=upload)
        ClassificationJob.objects.filter(pk=job.pk).update(status="succeeded", model_version=base.version)
        labels = ("grnjay", "blujay") if verdict == "corrected" else ("blujay", "grnjay")
        for rank, label in enumerate(labels, start=1):
            job.predictions.create(
                model_version=base.version, rank=rank, label=label, common_name=label, confidence=0.5 / rank
            )
        job.refresh_from_db()
        review_services.review_decide(job=job, reviewer=staff, verdict=verdict, label="blujay")

    row = services.retraining_start(user=staff, datasets=[small_dataset], options=OPTIONS, enqueue=False)
    assert retrain(row.pk) == Status.CANDIDATE  # the task function itself, with a real row
    row.refresh_from_db()
    assert row.status == Status.CANDIDATE and row.species_count == 4 and row.parent == base
    assert Path(row.directory).parent == (tmp_path / "store").resolve()
    assert {"config.json", "head.weights.h5", "catalog.json", "metrics.json"} <= {
        p.name for p in Path(row.directory).iterdir()
    }
    metrics = row.metrics
    assert metrics["held_out"]["cub100"]["n"] == 12 and metrics["base_held_out"]["cub100"]["n"] == 12
    assert metrics["corrections"] == {"used": 2, "unknown_label": 0, "held_out_photo": 1, "unreadable": 0}
    assert metrics["held_out_set"]
    # The numbers are the photo-weighted held-out figures, and the model learnt the four species: on
    # held-out photos it names far more than chance (0.25) right, and about as many as the model it
    # replaces (the same recipe, plus two reviewed photos).
    assert metrics["overall"]["top1"] == pytest.approx(selectors.overall(metrics["held_out"])["top1"])
    assert metrics["overall"]["top1"] >= 0.6, metrics["overall"]
    assert metrics["overall"]["top1"] >= metrics["base_overall"]["top1"] - 0.25, metrics
    assert json.loads((Path(row.directory) / "config.json").read_text())["data"]["extra_samples"] == 2
    check = selectors.promotion_check(row, base)
    assert check.reference == pytest.approx(metrics["base_overall"])


def wait_finished(job_id: int, timeout: float = 180) -> ClassificationJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ClassificationJob.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.2)
    raise TimeoutError(f"job {job_id} did not finish")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_promotion_switches_a_running_worker_and_rollback_restores_it(
    base_model, retrained_model, live_workers, live_media_root, owner, staff, settings
) -> None:
    from django.conf import settings as conf

    base = services.model_version_register(directory=base_model, status=Status.ACTIVE)
    new = services.model_version_register(directory=retrained_model, status=Status.CANDIDATE)
    ModelVersion.objects.filter(pk=new.pk).update(parent=base)
    new.refresh_from_db()

    live_workers.stop()  # one worker on this run's queue: ours
    queue = conf.CELERY_TASK_DEFAULT_QUEUE
    argv = [
        "-m",
        "celery",
        "-A",
        "workers",
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "-n",
        f"{queue}-registry@%h",
    ]
    # Every task looks the active version up (one indexed query): a promotion is seen by the next job,
    # so nothing has to wait for a check interval to pass.
    env = live_env(live_media_root, MODEL_PRELOAD="true", MODEL_CHECK_SECONDS="0")
    import sys

    worker = start(
        "worker-registry",
        [sys.executable, *argv, "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        env,
    )
    try:
        worker.wait_for(r"model (\S+) loaded in", timeout=300)

        def classify(number: int) -> ClassificationJob:
            job = photo_services.classification_submit(
                owner=owner, upload=photo_upload("Barn_Swallow", number)
            )
            return wait_finished(job.pk)

        before = classify(30)
        assert before.status == "succeeded" and before.model_version == "base-small"
        check = selectors.promotion_check(new, base)
        services.model_version_promote(
            version=new, user=staff, force=not check.allowed, reason="" if check.allowed else "test"
        )
        after = classify(31)
        assert after.model_version == "retrained-small"
        assert set(after.predictions.values_list("model_version", flat=True)) == {"retrained-small"}
        services.model_version_rollback(user=staff)
        assert classify(32).model_version == "base-small"
        assert worker.process.poll() is None  # the same process all along
        loads = re.findall(r"model (\S+) loaded in", worker.text())
        assert loads == ["base-small", "retrained-small", "base-small"]
    finally:
        worker.stop()
