"""A worker whose active model cannot be loaded serves the shipped model, logs it and marks the registry."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from birdsite.registry.models import ModelEvent, ModelVersion
from tests.fakes import jpeg_bytes
from workers import model, model_switch

pytestmark = pytest.mark.django_db
Status = ModelVersion.Status


def broken_model_dir(root: Path) -> Path:
    """What a model store not on a volume leaves after the containers are recreated: a config, no weights."""
    path = root / "rt7-broken"
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"version": "rt7-broken", "classes": ["amegfi"]}))
    return path


@pytest.fixture
def unpinned(settings):
    settings.MODEL_CHECK_SECONDS = 0
    model_switch.forget()
    model.set_classifier(None)  # no fake: the registry decides what this process serves
    yield
    model.set_classifier(None)
    model_switch.forget()


@pytest.fixture
def broken_active(tmp_path) -> ModelVersion:
    return ModelVersion.objects.create(
        version="rt7-broken", status=Status.ACTIVE, directory=str(broken_model_dir(tmp_path))
    )


@pytest.mark.model
def test_a_worker_that_cannot_load_the_active_model_serves_the_shipped_one(
    unpinned, broken_active, settings, caplog
) -> None:
    import classifier

    settings.MODEL_DIR = None
    shipped_version = json.loads((classifier.default_model_dir() / "config.json").read_text())["version"]
    with caplog.at_level(logging.WARNING, logger="workers.model"):
        served = model.get_classifier()
    assert served.model_version == shipped_version
    assert f"serving the shipped model {shipped_version} instead of" in caplog.text
    broken_active.refresh_from_db()
    assert broken_active.status == Status.ACTIVE  # rolling back is a person's decision
    assert "could not load it and serves the shipped model" in broken_active.error
    event = ModelEvent.objects.get(action=ModelEvent.Action.LOAD_FAILED)
    assert event.version == broken_active and "worker " in event.reason
    (result,) = served.predict([jpeg_bytes()], top_k=5)
    assert result.model_version == shipped_version and len(result.predictions) == 5


class Loaded:
    def __init__(self, path: str) -> None:
        self.config = type("Config", (), {"path": path})()
        self.model_version = Path(path).name


def loader_refusing(broken: Path, loads: list[str | None]):
    def load(model_dir=None, **_):
        loads.append(model_dir)
        if model_dir and Path(model_dir).resolve() == broken.resolve():
            raise OSError(f"{model_dir}/head.weights.h5: no such file")
        return Loaded(model_dir or "/shipped/2026.11.29-shipped")

    return load


def test_the_failed_directory_is_marked_once_and_not_tried_again(
    unpinned, broken_active, settings, monkeypatch
) -> None:
    import classifier

    loads: list[str | None] = []
    monkeypatch.setattr(classifier, "load", loader_refusing(Path(broken_active.directory), loads))
    settings.MODEL_DIR = None
    for _ in range(3):
        assert model.get_classifier().model_version == "2026.11.29-shipped"
    assert loads == [str(Path(broken_active.directory).resolve()), None]
    assert ModelEvent.objects.filter(action=ModelEvent.Action.LOAD_FAILED).count() == 1
    broken_active.refresh_from_db()
    assert "head.weights.h5: no such file" in broken_active.error


def test_a_worker_already_serving_a_model_keeps_it_when_the_new_one_is_broken(
    unpinned, tmp_path, settings, monkeypatch
) -> None:
    import classifier

    good = tmp_path / "rt6-good"
    broken = broken_model_dir(tmp_path)
    loads: list[str | None] = []
    monkeypatch.setattr(classifier, "load", loader_refusing(broken, loads))
    row = ModelVersion.objects.create(version="rt6-good", status=Status.ACTIVE, directory=str(good))
    assert model.get_classifier().model_version == "rt6-good"
    ModelVersion.objects.filter(pk=row.pk).update(status=Status.RETIRED)
    ModelVersion.objects.create(version="rt7-broken", status=Status.ACTIVE, directory=str(broken))
    assert model.get_classifier().model_version == "rt6-good"
    assert ModelEvent.objects.get(action=ModelEvent.Action.LOAD_FAILED).version.version == "rt7-broken"


def test_a_broken_configured_model_still_raises_there_is_nothing_to_fall_back_to(
    unpinned, tmp_path, settings
) -> None:
    settings.MODEL_DIR = str(broken_model_dir(tmp_path))
    with pytest.raises(Exception):  # noqa: B017 - whatever the classifier raises for a model without weights
        model.get_classifier()
