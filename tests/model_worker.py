"""``python -m tests.model_worker worker …``: the real Celery worker loading its model the real way
(``workers.model``: after the fork, the preload, the gate, the heartbeat) with ``classifier.load`` replaced.

``FAKE_MODEL=damaged``: the load raises as a model file failing its checksum does (``ModelDamaged``, a
RuntimeError); otherwise it returns tests.fakes.FakeClassifier (``fake-1``).
"""

from __future__ import annotations

import os
import sys

import classifier
from tests.fakes import FakeClassifier
from workers import app

DAMAGED = "head.weights.h5 does not match its checksum"


def load(model_dir=None, **options) -> FakeClassifier:
    if os.environ.get("FAKE_MODEL") == "damaged":
        raise getattr(classifier, "ModelDamaged", RuntimeError)(DAMAGED)
    return FakeClassifier(model_version="fake-1")


if __name__ == "__main__":
    classifier.load = load  # workers.model looks it up at each load, in every pool process it forks
    app.worker_main(sys.argv[1:])
