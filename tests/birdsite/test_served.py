"""Issue 22: one answer to "which model is served", for the workers, /readyz, the registry and the catalog."""

from __future__ import annotations

import json

import pytest

import classifier
from birdsite.ops import health
from birdsite.registry.models import ModelVersion
from birdsite.served import configured_model_dir, served_model
from tests.review.test_registry import model_dir

pytestmark = pytest.mark.django_db


def test_with_nothing_configured_the_shipped_model_is_served(settings) -> None:
    settings.MODEL_DIR = None
    shipped = json.loads((classifier.default_model_dir() / "config.json").read_text())["version"]
    assert served_model() == served_model().__class__(shipped, classifier.default_model_dir(), "shipped")
    assert health.expected_model_version() == shipped


def test_model_dir_is_served_when_the_registry_has_no_active_version(settings, tmp_path) -> None:
    settings.MODEL_DIR = str(model_dir(tmp_path, "configured-7"))
    served = served_model()
    assert (served.version, served.source, served.directory) == (
        "configured-7",
        "settings",
        configured_model_dir(),
    )


def test_the_registrys_active_version_wins_over_the_configured_model(settings, tmp_path) -> None:
    settings.MODEL_DIR = str(model_dir(tmp_path, "configured-7"))
    active = model_dir(tmp_path, "rt9")
    ModelVersion.objects.create(version="rt9", status=ModelVersion.Status.ACTIVE, directory=str(active))
    served = served_model()
    assert (served.version, served.source, served.directory) == ("rt9", "registry", active)
    assert health.expected_model_version() == "rt9"
