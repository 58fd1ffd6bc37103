"""A serialized (PostgreSQL) backup keeps every timestamp to the microsecond through a restore."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core import serializers

from birdsite.ops import backup
from birdsite.photos.models import Photo
from tests.factories import UserFactory
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db(transaction=True)  # the snapshot sets its own transaction's isolation
EXACT = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)


def test_it_keeps_timestamps_to_the_microsecond_through_a_serialized_backup(
    tmp_path, fake_classifier
) -> None:
    user = UserFactory(username="micro")
    user.date_joined = EXACT
    user.save(update_fields=["date_joined"])
    job = finished_job(user)
    Photo.objects.filter(pk=job.photo_id).update(created_at=EXACT.replace(microsecond=999_999))
    snapshot = tmp_path / "data.json"
    backup._serialized_snapshot(snapshot)

    read_back = serializers.deserialize("json", snapshot.read_text(), handle_forward_references=True)
    by_label = {item.object._meta.label: item.object for item in read_back}  # as loaddata reads it
    assert by_label["auth.User"].date_joined == EXACT
    assert by_label["photos.Photo"].created_at == EXACT.replace(microsecond=999_999)
    assert "2026-03-04T05:06:07.123456Z" in snapshot.read_text()
    assert json.loads(snapshot.read_text())  # still plain JSON, read by Django's own json format
