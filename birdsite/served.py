"""Which model the site serves: worked out here once, for the workers, /readyz, the registry and the
species catalog.

The registry's active version if it has one, else ``MODEL_DIR``, else the model shipped in the repository.
This module imports no app (the registry's row is read through the app registry), so every app may ask.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActiveModel:
    """The registry's active row, as the per-task check in the workers reads it (one indexed query)."""

    pk: int
    version: str
    directory: str


@dataclass(frozen=True)
class ServedModel:
    version: str  # "" where the directory's config cannot be read
    directory: Path
    source: str  # "registry", "settings" (MODEL_DIR) or "shipped"


def configured_model_dir() -> Path:
    """What the workers serve when the registry has no active version: ``MODEL_DIR``, else the shipped one."""
    if settings.MODEL_DIR:
        return Path(settings.MODEL_DIR)
    import classifier

    return Path(classifier.default_model_dir())


def active_model() -> ActiveModel | None:
    """The registry's active version, or None (no registry installed, or no active row)."""
    if not apps.is_installed("birdsite.registry"):
        return None
    versions = apps.get_model("registry", "ModelVersion")
    row = versions.objects.filter(status="active").values_list("pk", "version", "directory").first()
    return ActiveModel(*row) if row else None


def served_model() -> ServedModel:
    """The model the workers should be serving now."""
    row = active_model()
    if row is not None:
        return ServedModel(
            row.version, Path(row.directory) if row.directory else configured_model_dir(), "registry"
        )
    directory = configured_model_dir()
    source = "settings" if settings.MODEL_DIR else "shipped"
    try:
        version = _version_in(str(directory))
    except (OSError, ValueError, KeyError) as exc:
        log.warning("cannot read the model config in %s: %s", directory, exc)
        version = ""
    return ServedModel(version, directory, source)


@functools.lru_cache(maxsize=8)
def _version_in(directory: str) -> str:
    return str(json.loads((Path(directory) / "config.json").read_text())["version"])
