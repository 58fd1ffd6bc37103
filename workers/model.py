"""The model, loaded once per worker process, lazily (so after prefork's fork, never in the parent).

Tests replace it with ``set_classifier(fake)``; TensorFlow is imported only by the first
``get_classifier()`` call in a process. A load that raises (a model file failing its checksum, a model
failing its self-check, a missing directory: any exception) leaves the process unable to serve until it
is restarted: ``serving()`` says why, and ``workers.gate`` stops it taking jobs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from birdsite.classification.errors import ImageUnreadable, ModelUnavailable
from workers import model_switch

log = logging.getLogger(__name__)
_lock = threading.Lock()
_classifier: Any | None = None
_loaded_from: str | None = None  # resolved model directory of _classifier
_pinned = False  # set_classifier(fake): no registry switching
_loading = False
_failure = ""  # why this process cannot serve: its model failed to load ("" while it can, or may)
REASON_MAX_CHARS = 500

NOT_LOADED, LOADING, READY, FAILED = "not loaded", "loading", "ready", "failed"


@dataclass(frozen=True)
class Serving:
    """What this process can do with jobs, read from the loaded classifier's public attributes."""

    state: str  # NOT_LOADED (nothing asked for it yet), LOADING, READY or FAILED
    model_version: str = ""
    engine: str = ""
    reason: str = ""  # FAILED: the load's exception, as the log, the heartbeat and /readyz say it


def serving() -> Serving:
    loaded = _classifier
    if loaded is not None:
        version = str(getattr(loaded, "model_version", "") or "")
        return Serving(READY, version, str(getattr(loaded, "engine_name", "") or ""))
    if _failure:
        return Serving(FAILED, reason=_failure)
    return Serving(LOADING if _loading else NOT_LOADED)


def load_options() -> dict[str, Any]:
    """The classifier's options, all from settings (birdsite/settings.py reads them from the environment)."""
    return {
        "engine": settings.BIRDSITE_ENGINE,
        "precision": settings.BIRDSITE_LITERT_PRECISION,
        "threads": settings.BIRDSITE_THREADS or None,
        "tta": None if settings.BIRDSITE_TTA == "default" else settings.BIRDSITE_TTA,
        "batch_size": settings.BIRDSITE_BATCH_SIZE,
    }


def get_classifier() -> Any:
    global _classifier, _loaded_from, _loading, _failure
    if _failure and _classifier is None:
        # A damaged model does not mend itself: loading it again for every job would only cost seconds each.
        raise ModelUnavailable(_failure)
    # The registry's active version (workers/model_switch.py): a promotion switches this process.
    wanted = None if _pinned else model_switch.active_directory()
    if _classifier is None or (wanted and wanted != _loaded_from):
        with _lock:
            if _failure and _classifier is None:
                raise ModelUnavailable(_failure)
            if _classifier is None or (wanted and wanted != _loaded_from):
                _loading = True
                try:
                    loaded = _load_wanted(wanted)
                except Exception as exc:
                    if _classifier is None:  # else it keeps serving what it has (_load_wanted)
                        _failure = f"{type(exc).__name__}: {exc}"[:REASON_MAX_CHARS]
                    raise
                finally:
                    _loading = False
                if loaded is not None:
                    _classifier, _loaded_from = loaded, model_switch.directory_of(loaded)
    return _classifier


def follow_the_registry() -> None:
    """A process that serves a model picks up a promotion now (its heartbeat calls this), not at its next
    job: readiness compares the loaded version with the active one, and an idle worker gets no job."""
    if _classifier is not None and not _pinned:
        get_classifier()


def _load_wanted(wanted: str | None) -> Any | None:
    """The model at ``wanted`` (else the configured/shipped one), or None: keep serving the current one.

    An active version that cannot be loaded (a deleted or damaged directory, a model store not on a
    volume) must not fail every job: the process keeps its current model, or falls back to the shipped
    one, logs it and marks the registry row (``model_switch.failed``)."""
    try:
        return _load(wanted or settings.MODEL_DIR)
    except Exception as exc:
        if not wanted:
            raise  # the configured model itself: nothing to fall back to
        error = f"{type(exc).__name__}: {exc}"
        log.exception("could not load the active model %s", wanted)
        model_switch.failed(wanted, error=error)
        if _classifier is not None:
            log.warning("still serving %s", _classifier.model_version)
            return None
    fallback = _load(settings.MODEL_DIR)
    log.warning("serving the shipped model %s instead of %s", fallback.model_version, wanted)
    return fallback


def _quiet_gpu_probe() -> None:
    """TensorFlow logs a CUDA ``cuInit`` error on every start of a host with no GPU; only level 3 and no
    visible device silence it. A host with an NVIDIA driver keeps TensorFlow's defaults."""
    if not Path("/dev/nvidiactl").exists():
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _load(model_dir: str | None) -> Any:
    _quiet_gpu_probe()
    import classifier

    started = time.monotonic()
    loaded = classifier.load(model_dir=model_dir, **load_options())
    log.info("model %s loaded in %.1fs", loaded.model_version, time.monotonic() - started)
    return loaded


def preload() -> bool:
    """Load the model now; False (logged, with why) when this process cannot serve."""
    try:
        get_classifier()
    except Exception:
        log.exception("model preload failed; this worker process cannot serve jobs (restart it once fixed)")
        return False
    return True


def classify_many(images: Sequence[bytes], regions: Sequence[list[float] | None] | None = None) -> list[Any]:
    """One result dict per image, in order, or the exception for an image that could not be classified.

    The ``processing.Predict`` of birdsite.classification: runs the model over ``BIRDSITE_BATCH_SIZE``
    images per forward pass. A file that is not a usable image gets an ``ImageUnreadable`` in its place;
    the others still get results. Raises ``ModelUnavailable`` if the model cannot be loaded.
    """
    try:
        clf = get_classifier()
    except ModelUnavailable:
        raise
    except Exception as exc:
        raise ModelUnavailable(f"the model could not be loaded: {exc}") from exc
    invalid = invalid_image_errors()
    boxes = list(regions) if regions is not None else [None] * len(images)

    def predict(some: list[bytes], some_boxes: list[list[float] | None]) -> list[Any]:
        if any(box is not None for box in some_boxes):
            return list(clf.predict(some, top_k=settings.TOP_K, regions=some_boxes))
        return list(clf.predict(some, top_k=settings.TOP_K))

    try:
        return predict(list(images), boxes)
    except invalid:
        pass  # some image is broken: find it by classifying one at a time (rare, and correct)
    results: list[Any] = []
    for image, box in zip(images, boxes, strict=True):
        try:
            results.append(predict([image], [box])[0])
        except invalid as exc:
            results.append(ImageUnreadable(str(exc)))
    return results


def set_classifier(value: Any | None) -> None:
    """Install ``value`` as this process's model (``None`` forgets it; the next call reloads).

    An installed model is pinned: the registry's active version does not replace it."""
    global _classifier, _loaded_from, _pinned, _failure
    with _lock:
        _classifier, _loaded_from, _pinned, _failure = value, None, value is not None, ""


def invalid_image_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean "this file is not a usable image": fail the job, never retry."""
    from PIL import Image, UnidentifiedImageError

    errors: tuple[type[BaseException], ...] = (UnidentifiedImageError, Image.DecompressionBombError)
    try:
        from classifier import InvalidImage
    except ImportError:  # classifier not importable: the load in get_classifier says why
        return errors
    return (InvalidImage, *errors)
