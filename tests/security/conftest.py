"""The owner's world, created first with every id sequence at ``OWNED_ID``; then the stranger's own."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from birdsite.api import services as api_services
from birdsite.batches import services as batch_services
from birdsite.photos.models import Photo
from birdsite.sightings.models import Sighting
from tests.batches.helpers import photo
from tests.helpers import finished_job
from tests.security.urls import OWNED_ID

SECRET = "owner-private-7f3a9c"  # in the owner's data; must never appear in a page for anyone else


def _restart_sequences(at: int) -> None:
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table, pk = model._meta.db_table, model._meta.pk
            if pk is None or pk.get_internal_type() not in ("AutoField", "BigAutoField"):
                continue
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk.column])
            (sequence,) = cursor.fetchone()
            if sequence:
                cursor.execute("SELECT setval(%s, %s, false)", [sequence, at])


def world_of(user, seed: int) -> dict:
    job = finished_job(user, data=photo(seed))
    Photo.objects.filter(pk=job.photo_id).update(original_name=f"{SECRET}.jpg" if seed == 1 else "mine.jpg")
    Sighting.objects.filter(job=job).update(notes=SECRET if seed == 1 else "")
    batch = batch_services.batch_create(user=user, files=[(f"b{seed}.jpg", photo(seed + 500))])
    token, _ = api_services.token_create(user=user, name="phone")
    return {"job": job, "batch": batch, "token": token}


@pytest.fixture
def worlds(owner, stranger, staff, fake_classifier, django_capture_on_commit_callbacks) -> dict:
    _restart_sequences(OWNED_ID)
    with django_capture_on_commit_callbacks(execute=False):  # nothing goes to the broker
        mine = world_of(owner, 1)
        assert mine["job"].pk == mine["job"].photo_id == mine["batch"].pk == mine["token"].pk == OWNED_ID
        theirs = world_of(stranger, 2)
    return {"owner": mine, "stranger": theirs}


def owner_counts(owner) -> dict[str, int]:
    """What the owner has; no request by anyone else may change it."""
    return {
        model._meta.label: model.objects.filter(**{field: owner}).count()
        for model in apps.get_models()
        for field in ("owner", "user")
        if model._meta.app_label not in ("admin", "auth", "sessions")
        and any(f.name == field and f.is_relation for f in model._meta.get_fields())
    }
