"""The model, loaded once per worker process, lazily (so after prefork's fork, never in the parent).

Tests replace it with ``set_classifier(fake)``; TensorFlow is imported only by the first
``get_classifier()`` call in a process.
"""

from __future__ import annotations

import logging
import threading
import time
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
                _classifier = classifier.load(model_dir=settings.MODEL_DIR)
                log.info("model %s loaded in %.1fs", _classifier.model_version, time.monotonic() - started)
    return _classifier


def preload() -> None:
    try:
        get_classifier()
    except Exception:
        log.exception("model preload failed; jobs will retry the load")


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
