"""``python -m tests.fake_worker worker …``: the real Celery worker with tests.fakes.FakeClassifier."""

from __future__ import annotations

import sys

from tests.fakes import FakeClassifier
from workers import app, model

FAKE = FakeClassifier(model_version="fake-1")

if __name__ == "__main__":
    model.get_classifier = lambda: FAKE  # tasks look the function up at call time
    app.worker_main(sys.argv[1:])
