"""``python -m tests.batches.slow_worker worker …``: the real Celery worker with a fake model that takes
``FAKE_SECONDS_PER_IMAGE`` per image, so a test can kill it in the middle of a batch."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from tests.fakes import FakeClassifier
from workers import app, model


class SlowFake(FakeClassifier):
    def predict(self, images: list[Any], top_k: int = 5) -> list[Any]:
        time.sleep(float(os.environ.get("FAKE_SECONDS_PER_IMAGE", "0.1")) * len(images))
        return super().predict(images, top_k)


FAKE = SlowFake(model_version="slow-1")

if __name__ == "__main__":
    model.get_classifier = lambda: FAKE  # tasks look the function up at call time
    app.worker_main(sys.argv[1:])
