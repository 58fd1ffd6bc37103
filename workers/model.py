"""The model, loaded once per worker process, lazily (so after prefork's fork, never in the parent).

Tests replace it with ``set_classifier(fake)``; TensorFlow is imported only by the first
``get_classifier()`` call in a process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)
_lock = threading.Lock()
_classifier: Any | None = None


def get_classifier() -> Any:
    global _classifier
    if _classifier is None:
        with _lock:
            if _classifier is None:
                import classifier

                started = time.monotonic()
                _classifier = classifier.load(
                    model_dir=settings.MODEL_DIR,
                    engine=settings.BIRDSITE_ENGINE,
                    batch_size=settings.BIRDSITE_BATCH_SIZE,
                )
                log.info("model %s loaded in %.1fs", _classifier.model_version, time.monotonic() - started)
    return _classifier


def preload() -> None:
    try:
        get_classifier()
    except Exception:
        log.exception("model preload failed; jobs will retry the load")


class ModelUnavailable(RuntimeError):
    """The model could not be loaded in this process."""


def classify_many(images: Sequence[Any], *, top_k: int = 5) -> list[Any]:
    """One result dict per image, in order, or the exception for an image that could not be classified.

    Runs the model over ``BIRDSITE_BATCH_SIZE`` images per forward pass. A file that is not a usable image
    gets its ``InvalidImage`` (see ``invalid_image_errors``) in its place; the others still get results.
    Raises ``ModelUnavailable`` if the model cannot be loaded. For batch chunks and micro-batched uploads.
    """
    try:
        clf = get_classifier()
    except Exception as exc:
        raise ModelUnavailable(f"the model could not be loaded: {exc}") from exc
    invalid = invalid_image_errors()
    try:
        return list(clf.predict(list(images), top_k=top_k))
    except invalid:
        pass  # some image is broken: find it by classifying one at a time (rare, and correct)
    results: list[Any] = []
    for image in images:
        try:
            results.append(clf.predict([image], top_k=top_k)[0])
        except invalid as exc:
            results.append(exc)
    return results


def set_classifier(value: Any | None) -> None:
    """Install ``value`` as this process's model (``None`` forgets it; the next call reloads)."""
    global _classifier
    with _lock:
        _classifier = value


def invalid_image_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean "this file is not a usable image": fail the job, never retry."""
    from PIL import Image, UnidentifiedImageError

    errors: tuple[type[BaseException], ...] = (UnidentifiedImageError, Image.DecompressionBombError)
    try:
        from classifier import InvalidImage
    except ImportError:  # classifier not importable: the load in get_classifier says why
        return errors
    return (InvalidImage, *errors)
