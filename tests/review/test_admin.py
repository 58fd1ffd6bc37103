"""Every model of the project is in the admin, searchable, and its pages open."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from birdsite.registry.models import ModelEvent, ModelVersion
from birdsite.review import services
from tests.factories import UserFactory
from tests.review.conftest import job_with

pytestmark = pytest.mark.django_db
PROJECT_APPS = {"photos", "sightings", "batches", "api", "review", "registry"}


def test_every_project_model_is_registered_with_search(client, owner) -> None:
    models = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]
    missing = [m._meta.label for m in models if m not in admin.site._registry]
    assert missing == []
    assert all(admin.site._registry[m].search_fields for m in models)


def test_the_admin_pages_open_for_a_superuser(client, owner) -> None:
    reviewer = UserFactory(username="root", is_staff=True, is_superuser=True)
    job = job_with(owner)
    services.review_decide(job=job, reviewer=reviewer, verdict="accepted")
    version = ModelVersion.objects.create(version="v1", status=ModelVersion.Status.ACTIVE)
    ModelEvent.objects.create(action="registered", version=version, user=reviewer)
    client.force_login(reviewer)
    for model in [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(url, {"q": "a"}).status_code == 200, url
        first = model.objects.first()
        if first is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            assert client.get(change).status_code == 200, change
