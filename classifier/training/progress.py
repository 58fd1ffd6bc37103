"""Training progress where someone reads it: a bar on a terminal, INFO log lines otherwise.

A worker's stderr goes to its log (Celery tags it WARNING), so a bar redrawn there is hundreds of
"warnings" per retraining (issue 14); off a terminal, each epoch and every tenth of a feature pass is
one INFO line instead.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from tqdm import tqdm

log = logging.getLogger("classifier.training")
# Who else wants to know (the registry shows a running retraining's stage): ``(stage, done, total)``.
Listener = Callable[[str, int, int], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


@contextlib.contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call ``listener(stage, done, total)`` at every step of the training run inside the block."""
    with _lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(listener)


def report(stage: str, done: int, total: int) -> None:
    for listener in list(_listeners):
        try:
            listener(stage, done, total)
        except Exception:  # noqa: BLE001 - whoever listens must never stop the training
            log.exception("progress listener failed")


def on_terminal() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


class Bar:
    """``tqdm`` on a terminal; elsewhere an INFO line at each tenth of ``total`` and at the end."""

    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc, self.done, self._next = total, desc, 0, 0.1
        self._bar = tqdm(total=total, desc=desc) if on_terminal() else None

    def update(self, n: int) -> None:
        self.done += n
        report(self.desc, self.done, self.total)
        if self._bar is not None:
            self._bar.update(n)
        elif self.total and self.done / self.total >= self._next:
            log.info("%s: %d/%d", self.desc, self.done, self.total)
            while self._next <= self.done / self.total:
                self._next += 0.1

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()


def keras_verbose() -> int:
    """Keras' own progress bar on a terminal; nothing from Keras otherwise (``epoch_logger`` logs)."""
    return 1 if on_terminal() else 0


def epoch_logger(stage: str) -> list[Any]:
    """Callbacks for ``model.fit``: each epoch reported to the listeners, and an INFO line per epoch (loss,
    accuracy, learning rate) off a terminal."""
    quiet = on_terminal()
    if quiet and not _listeners:
        return []  # Keras' own bar says it all
    import keras

    class EpochLog(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            epochs = self.params.get("epochs") or 0
            report(f"{stage} epochs", epoch + 1, int(epochs))
            if not quiet:
                values = ", ".join(f"{k} {float(v):.4g}" for k, v in sorted((logs or {}).items()))
                log.info("%s epoch %d/%s: %s", stage, epoch + 1, epochs or "?", values)

    return [EpochLog()]
