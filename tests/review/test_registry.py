"""Registry: retraining rows, promotion rules, rollback, and a worker process switching models."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from birdsite import served
from birdsite.registry import services
from birdsite.registry.models import ModelEvent, ModelVersion
from birdsite.review import services as review_services
from tests.review.conftest import job_with
from workers import model, model_switch

pytestmark = pytest.mark.django_db
Status = ModelVersion.Status


def model_dir(root: Path, version: str, top1: float = 0.8) -> Path:
    """A directory that looks like a trained model to the registry (config.json and metrics.json)."""
    path = root / version
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"version": version, "classes": ["amegfi", "houfin"]}))
    held_out = {"cub100": {"n": 100, "top1": top1, "top5": 0.95}}
    (path / "metrics.json").write_text(json.dumps({"version": version, "held_out": held_out}))
    return path


def candidate(parent: ModelVersion, version: str, top1: float, base_top1: float) -> ModelVersion:
    held_out = {"cub100": {"n": 100, "top1": top1, "top5": 0.95}}
    base = {"cub100": {"n": 100, "top1": base_top1, "top5": 0.95}}
    return ModelVersion.objects.create(
        version=version,
        status=Status.CANDIDATE,
        parent=parent,
        directory=f"/models/{version}",
        metrics={"held_out": held_out, "base_held_out": base},
    )


@pytest.fixture
def shipped(tmp_path, settings) -> ModelVersion:
    settings.MODEL_DIR = str(model_dir(tmp_path, "shipped-1"))
    active = services.model_version_ensure_active()
    assert active is not None
    return active


def test_the_served_model_is_registered_as_active_once(shipped) -> None:
    assert (shipped.version, shipped.status, shipped.species_count) == ("shipped-1", Status.ACTIVE, 2)
    assert services.model_version_ensure_active() == shipped
    assert served.active_model().version == "shipped-1"


def test_a_better_candidate_is_promoted_and_rolled_back_in_one_step(shipped, staff) -> None:
    better = candidate(shipped, "rt2", top1=0.85, base_top1=0.8)
    services.model_version_promote(version=better, user=staff)
    better.refresh_from_db()
    assert better.status == Status.ACTIVE and better.promoted_by == staff
    assert served.active_model().version == "rt2"
    shipped.refresh_from_db()
    assert shipped.status == Status.RETIRED
    assert services.model_version_rollback(user=staff).version == "shipped-1"
    assert served.active_model().version == "shipped-1"
    actions = list(ModelEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["registered", "promoted", "rolled_back"]


def test_a_worse_candidate_needs_force_and_a_reason(shipped, staff) -> None:
    worse = candidate(shipped, "rt3", top1=0.7, base_top1=0.8)
    with pytest.raises(services.RegistryError, match="Worse than shipped-1"):
        services.model_version_promote(version=worse, user=staff)
    with pytest.raises(services.RegistryError, match="needs a reason"):
        services.model_version_promote(version=worse, user=staff, force=True)
    services.model_version_promote(version=worse, user=staff, force=True, reason="fixes the gulls")
    worse.refresh_from_db()
    assert worse.status == Status.ACTIVE and worse.promotion_reason == "fixes the gulls"
    assert ModelEvent.objects.filter(action="forced", version=worse, user=staff).exists()


def test_promoting_from_the_page_refuses_and_says_why(client, shipped, staff) -> None:
    worse = candidate(shipped, "rt4", top1=0.5, base_top1=0.8)
    client.force_login(staff)
    response = client.post(f"/staff/models/{worse.pk}/promote/", follow=True)
    assert b"Worse than shipped-1" in response.content
    assert served.active_model().version == "shipped-1"
    response = client.post(
        f"/staff/models/{worse.pk}/promote/", {"force": "1", "reason": "test"}, follow=True
    )
    assert served.active_model().version == "rt4"
    assert b"Roll back to shipped-1" in response.content


def test_retraining_trains_on_the_datasets_plus_the_reviewed_labels(shipped, owner, staff, tmp_path) -> None:
    job = job_with(owner)
    review_services.review_decide(job=job, reviewer=staff, verdict="corrected", label="houfin")
    seen = {}

    def fake_train(**kwargs):
        seen.update(kwargs)
        out = model_dir(kwargs["out_dir"].parent, kwargs["out_dir"].name, top1=0.9)
        return json.loads((out / "metrics.json").read_text()) | {"corrections": {"used": 1}}

    row = services.retraining_start(user=staff, datasets=[tmp_path], enqueue=False)
    assert row.status == Status.QUEUED and row.parent == shipped
    with pytest.raises(services.RegistryError, match="already queued"):
        services.retraining_start(user=staff, datasets=[tmp_path], enqueue=False)
    row = services.retraining_run(version_id=row.pk, train=fake_train)
    assert row.status == Status.CANDIDATE and row.metrics["held_out"]["cub100"]["top1"] == 0.9
    assert [(c.path, c.label) for c in seen["corrections"]] == [(Path(job.photo.image.path), "houfin")]
    assert seen["base_model_dir"] == Path(shipped.directory)
    assert row.provenance["decision_ids"] and row.provenance["base_version"] == "shipped-1"
    assert services.retraining_run(version_id=row.pk, train=fake_train) is None  # claimed once only


def test_a_failed_retraining_is_recorded(shipped, staff, tmp_path) -> None:
    row = services.retraining_start(user=staff, datasets=[tmp_path / "missing"], enqueue=False)
    row = services.retraining_run(version_id=row.pk)
    assert row.status == Status.FAILED and "not found" in row.error


def test_the_retrain_command_queues_a_retraining(shipped, tmp_path, capsys, sent) -> None:
    call_command("retrain", "--data", str(tmp_path))
    # on_commit runs at once outside the test transaction only; the row is there either way
    assert ModelVersion.objects.filter(status=Status.QUEUED).count() == 1
    assert "queued rt" in capsys.readouterr().out


class Loaded:
    def __init__(self, path: Path) -> None:
        self.config = type("Config", (), {"path": path})()
        self.model_version = path.name


def test_a_worker_process_switches_to_the_promoted_version_without_a_restart(
    shipped, staff, tmp_path, settings, monkeypatch
) -> None:
    import classifier

    loads = []
    monkeypatch.setattr(
        classifier, "load", lambda model_dir, **_: loads.append(model_dir) or Loaded(Path(model_dir))
    )
    settings.MODEL_CHECK_SECONDS = 0
    model_switch.forget()
    model.set_classifier(None)
    try:
        assert model.get_classifier().model_version == "shipped-1"
        assert model.get_classifier().model_version == "shipped-1" and len(loads) == 1  # no reload
        new = candidate(shipped, "rt5", top1=0.9, base_top1=0.8)
        ModelVersion.objects.filter(pk=new.pk).update(directory=str(model_dir(tmp_path / "store", "rt5")))
        services.model_version_promote(version=new, user=staff)
        assert model.get_classifier().model_version == "rt5"
        services.model_version_rollback(user=staff)
        assert model.get_classifier().model_version == "shipped-1"
        model.set_classifier(Loaded(tmp_path / "pinned"))  # tests pin a fake: no switching
        assert model.get_classifier().model_version == "pinned"
    finally:
        model.set_classifier(None)
        model_switch.forget()


def test_an_abandoned_retraining_does_not_block_the_next_one(shipped, staff, tmp_path, settings) -> None:
    settings.RETRAIN_STALE_SECONDS = 60
    old = services.retraining_start(user=staff, datasets=[tmp_path], enqueue=False)
    ModelVersion.objects.filter(pk=old.pk).update(status=Status.TRAINING)
    ModelVersion.objects.filter(pk=old.pk).update(created_at=old.created_at - dt.timedelta(hours=1))
    services.retraining_start(user=staff, datasets=[tmp_path], enqueue=False)
    old.refresh_from_db()
    assert old.status == Status.FAILED and "Abandoned" in old.error


def test_retraining_reads_reviewed_photos_kept_in_a_bucket_from_a_scratch_copy(
    shipped, owner, staff, tmp_path, monkeypatch
) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import Storage

    from birdsite.photos.models import Photo

    class Bucket(Storage):
        """Files by name and no paths: ``Storage.path`` raises, as in django-storages' S3Storage."""

        def __init__(self) -> None:
            self.files: dict[str, bytes] = {}

        def _save(self, name: str, content) -> str:
            self.files[name] = content.read()
            return name

        def _open(self, name: str, mode: str = "rb") -> ContentFile:
            return ContentFile(self.files[name], name=name)

        def exists(self, name: str) -> bool:
            return name in self.files

    job = job_with(owner)
    review_services.review_decide(job=job, reviewer=staff, verdict="corrected", label="houfin")
    photo_bytes = job.photo.image.read()
    bucket = Bucket()
    bucket.save(job.photo.image.name, ContentFile(photo_bytes))
    monkeypatch.setattr(Photo._meta.get_field("image"), "storage", bucket)
    seen = {}

    def fake_train(**kwargs):
        [correction] = kwargs["corrections"]
        seen["path"], seen["bytes"] = correction.path, correction.path.read_bytes()
        out = model_dir(kwargs["out_dir"].parent, kwargs["out_dir"].name, top1=0.9)
        return json.loads((out / "metrics.json").read_text()) | {"corrections": {"used": 1}}

    row = services.retraining_start(user=staff, datasets=[tmp_path], enqueue=False)
    row = services.retraining_run(version_id=row.pk, train=fake_train)
    assert row.status == Status.CANDIDATE, row.error
    assert seen["bytes"] == photo_bytes and seen["path"] != Path(job.photo.image.path)
    assert not seen["path"].exists()  # the scratch copy goes with the run


def test_a_running_retraining_shows_its_step_on_the_registry_page(
    shipped, staff, staff_client, tmp_path
) -> None:
    from classifier.training import progress

    seen_on_page: list[str] = []

    def fake_train(**kwargs):
        with progress.Bar(400, "features cub100") as bar:  # what the real training reports
            bar.update(100)
            seen_on_page.append(staff_client.get(reverse("registry:list")).content.decode())
        out = model_dir(kwargs["out_dir"].parent, kwargs["out_dir"].name, top1=0.9)
        return json.loads((out / "metrics.json").read_text())

    row = services.retraining_start(user=staff, datasets=[tmp_path], enqueue=False)
    queued = staff_client.get(reverse("registry:list")).content.decode()
    assert "Waiting for the retrain worker." in queued and "data-refresh-every" in queued
    services.retraining_run(version_id=row.pk, train=fake_train)
    (page,) = seen_on_page
    assert 'max="400" value="100"' in page and "features cub100: 100 of 400" in page
    done = staff_client.get(reverse("registry:list")).content.decode()
    assert "data-retrain-progress" not in done and "data-refresh-every" not in done


def test_a_progress_listener_that_fails_never_stops_the_training() -> None:
    from classifier.training import progress

    def broken(stage: str, done: int, total: int) -> None:
        raise RuntimeError("database gone")

    with progress.listening(broken), progress.Bar(10, "features") as bar:
        bar.update(10)
    assert bar.done == 10
