"""The gpu queue: bulk work goes there only where a GPU worker is said to run."""

from __future__ import annotations

from workers import app
from workers.routing import GPU_QUEUE, route_task


def queue_of(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


def test_batch_chunks_go_to_the_gpu_queue_when_it_is_turned_on(settings):
    settings.GPU_QUEUE_ENABLED = True
    assert queue_of("workers.classify_chunk") == GPU_QUEUE == "gpu"


def test_single_uploads_stay_on_the_cpu_queue_even_with_a_gpu(settings):
    settings.GPU_QUEUE_ENABLED = True
    assert queue_of("workers.classify") == settings.CELERY_TASK_DEFAULT_QUEUE


def test_without_a_gpu_queue_everything_runs_on_the_default_queue(settings):
    settings.GPU_QUEUE_ENABLED = False
    assert queue_of("workers.classify_chunk") == settings.CELERY_TASK_DEFAULT_QUEUE
    assert route_task("workers.classify_chunk", (), {}, {}) is None


def test_a_task_can_ask_for_the_gpu_queue_by_an_attribute(settings):
    class Task:
        gpu_queue = True

    settings.GPU_QUEUE_ENABLED = True
    assert route_task("workers.anything", (), {}, {}, task=Task()) == {"queue": "gpu"}
