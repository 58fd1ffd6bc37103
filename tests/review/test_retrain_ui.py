"""The retrain button asks first, and says how long the last retraining took."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from birdsite.registry.models import ModelVersion

pytestmark = pytest.mark.django_db
Status = ModelVersion.Status


@pytest.fixture
def no_sending(monkeypatch):
    """Unit level: the row is what is tested here; sending is birdsite/classification/queue.py's."""
    from birdsite.registry import services

    sent: list[int] = []
    if hasattr(services, "_enqueue"):
        monkeypatch.setattr(services, "_enqueue", sent.append)
    else:
        from birdsite.classification import queue

        monkeypatch.setattr(queue, "retrain_send_on_commit", sent.append)
    return sent


def finished_retraining(minutes: int, seconds: int) -> ModelVersion:
    end = timezone.now() - dt.timedelta(hours=1)
    return ModelVersion.objects.create(
        version="rt3-20261201-1200",
        status=Status.CANDIDATE,
        started_at=end - dt.timedelta(minutes=minutes, seconds=seconds),
        finished_at=end,
    )


def test_a_retrain_post_without_confirmation_queues_nothing_and_asks(staff_client, no_sending) -> None:
    response = staff_client.post(reverse("registry:retrain"))
    assert response.status_code == 200 and b"Retrain the model?" in response.content
    assert b'name="confirm" value="yes"' in response.content
    assert not ModelVersion.objects.filter(status=Status.QUEUED).exists()


def test_the_confirmation_says_how_long_the_last_retraining_took(staff_client, no_sending) -> None:
    finished_retraining(14, 3)
    page = staff_client.get(reverse("registry:retrain")).content.decode()
    assert "The last retraining (rt3-20261201-1200, candidate) took <strong>14 min 3 s</strong>" in page
    listing = staff_client.get(reverse("registry:list")).content.decode()
    assert "The last retraining took 14 min 3 s." in listing


def test_with_no_retraining_yet_the_confirmation_says_so(staff_client, no_sending) -> None:
    assert b"No retraining has run here yet" in staff_client.get(reverse("registry:retrain")).content


def test_a_confirmed_retrain_is_queued(staff_client, no_sending, settings, tmp_path) -> None:
    settings.RETRAIN_DATASETS = [tmp_path]
    response = staff_client.post(reverse("registry:retrain"), {"confirm": "yes"})
    assert response.status_code == 302
    assert ModelVersion.objects.filter(status=Status.QUEUED).count() == 1


def test_while_one_runs_the_confirmation_offers_no_second(staff_client, no_sending) -> None:
    ModelVersion.objects.create(version="rt4-running", status=Status.TRAINING, started_at=timezone.now())
    page = staff_client.get(reverse("registry:retrain")).content.decode()
    assert "rt4-running is training already" in page and 'value="yes"' not in page


def test_an_hour_long_retraining_reads_in_hours() -> None:
    from birdsite.registry.selectors import LastRetraining

    assert LastRetraining("v", "candidate", 2 * 3600 + 5 * 60 + 9, None).took == "2 h 5 min"
    assert LastRetraining("v", "candidate", 42.4, None).took == "42 s"
