"""The staff System and Storage pages: staff only, and they show what the rows say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from birdsite.ops.models import RetentionRun
from birdsite.photos.models import ClassificationJob, Photo
from tests.helpers import finished_job
from tests.ops.conftest import beat

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/staff/system/", "/staff/system/storage/"])
def test_non_staff_are_refused_and_anonymous_sent_to_log_in(client, owner, path) -> None:
    assert client.get(path).status_code == 302
    client.force_login(owner)
    assert client.get(path).status_code == 403


def test_the_system_page_shows_readiness_workers_queues_jobs_and_a_latency_plot(staff_client, owner) -> None:
    beat(hostname="celery@box-1", pid=4242)
    job = finished_job(owner)
    ClassificationJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - timedelta(seconds=3), finished_at=timezone.now()
    )
    response = staff_client.get("/staff/system/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-readiness="ok"' in html
    assert "celery@box-1" in html and "4242" in html
    assert "<svg" in html and "median" in html and "over 1 jobs" in html
    assert response.context["jobs"]["succeeded"] == 1
    assert response.context["depths"] is not None


def test_the_system_page_says_when_no_worker_beats(staff_client) -> None:
    html = staff_client.get("/staff/system/").content.decode()
    assert 'data-readiness="unavailable"' in html and "No worker has beaten" in html
    assert "No finished jobs in 24 h" in html


def test_the_storage_page_shows_sizes_users_and_what_retention_would_free(
    staff_client, owner, settings
) -> None:
    job = finished_job(owner)
    Photo.objects.filter(pk=job.photo_id).update(created_at=timezone.now() - timedelta(days=50))
    settings.RETENTION_ORIGINALS_DAYS = 30
    RetentionRun.objects.create(policy={"days": 30, "best_per_species": 0}, photos=3, bytes_freed=2048)
    response = staff_client.get("/staff/system/storage/")
    assert response.status_code == 200
    report = response.context["report"]
    areas = {name: (size, files) for name, size, files in report.areas}
    assert areas["photos"][1] == 1 and areas["thumbnails"][1] == 1
    assert areas["photos"][0] == job.photo.size_bytes
    assert report.by_user[0]["owner__username"] == owner.username
    assert len(response.context["plan"].photos) == 1
    html = response.content.decode()
    assert "would replace <strong>1</strong> originals" in html and "2.0\xa0KB" in html


def test_staff_reach_the_system_page_from_the_menu_and_others_see_no_link(staff_client, owner) -> None:
    assert 'href="/staff/system/"' in staff_client.get("/sightings/").content.decode()
    member = Client()
    member.force_login(owner)
    assert 'href="/staff/system/"' not in member.get("/sightings/").content.decode()
