"""Which queue a task goes to: the bulk classification work to ``gpu`` where a GPU worker runs.

Single uploads stay on the default queue (the CPU worker answers them within milliseconds and they must
not wait behind a 5,000-photo batch); batch chunks go to the ``gpu`` queue when ``BIRDSITE_GPU_QUEUE`` is on.
The CPU worker runs the same tasks when it is off, so the CPU path never needs a GPU.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from birdsite.classification import queue

GPU_QUEUE = queue.GPU_QUEUE
GPU_TASKS = frozenset({queue.CLASSIFY_CHUNK})


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **_: Any) -> dict | None:
    """A Celery router (``CELERY_TASK_ROUTES``): ``{"queue": "gpu"}`` or None for the default queue."""
    if settings.GPU_QUEUE_ENABLED and (name in GPU_TASKS or getattr(task, "gpu_queue", False)):
        return {"queue": GPU_QUEUE}
    return None
