"""ZIP safety: hostile archives are refused as a whole, before anything is stored."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from birdsite.batches import services
from birdsite.batches.archives import ArchiveRefused
from birdsite.batches.models import Batch, BatchItem
from birdsite.photos.models import Photo
from tests.batches.helpers import HOSTILE, photo, zip_bytes

pytestmark = pytest.mark.django_db


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_it_refuses_a_hostile_zip_and_writes_nothing(kind, owner, media_root, tmp_path) -> None:
    with pytest.raises(ArchiveRefused) as refused:
        services.batch_create_from_zip(user=owner, archive=io.BytesIO(HOSTILE[kind]()))
    assert refused.value.problems and refused.value.message.startswith("The archive was refused")
    assert not Batch.objects.exists() and not Photo.objects.exists()
    assert files_under(media_root) == []
    assert not list(tmp_path.parent.rglob("evil.jpg"))


def test_it_refuses_a_zip_with_too_many_members(owner, settings, media_root) -> None:
    settings.BATCH_ZIP_MAX_MEMBERS = 3
    archive = zip_bytes([(f"{n}.jpg", photo(n)) for n in range(4)])
    with pytest.raises(ArchiveRefused) as refused:
        services.batch_create_from_zip(user=owner, archive=io.BytesIO(archive))
    assert refused.value.problems[0].code == "too_many_members"
    assert files_under(media_root) == [] and not Batch.objects.exists()


def test_it_refuses_a_zip_whose_total_size_is_past_the_limit(owner, settings) -> None:
    settings.BATCH_ZIP_MAX_BYTES = 100
    with pytest.raises(ArchiveRefused) as refused:
        services.batch_create_from_zip(user=owner, archive=io.BytesIO(zip_bytes([("a.jpg", photo(1))])))
    assert [p.code for p in refused.value.problems] == ["too_large"]


def test_each_problem_of_a_hostile_zip_is_named(owner) -> None:
    with pytest.raises(ArchiveRefused) as refused:
        services.batch_create_from_zip(user=owner, archive=io.BytesIO(HOSTILE["nested_archive"]()))
    assert [(p.name, p.code) for p in refused.value.problems] == [("inner.zip", "nested_archive")]


def test_a_good_zip_becomes_a_batch_and_skips_the_files_an_os_adds(owner) -> None:
    archive = zip_bytes(
        [
            ("day/1.jpg", photo(1)),
            ("day/2.jpg", photo(2)),
            ("day/readme.txt", b"notes"),
            ("__MACOSX/day/._1.jpg", b"junk"),
            ("day/.DS_Store", b"junk"),
        ]
    )
    batch = services.batch_create_from_zip(user=owner, archive=io.BytesIO(archive), name="day.zip")
    kinds = list(batch.items.order_by("position").values_list("name", "kind", "code"))
    assert kinds == [
        ("day/1.jpg", BatchItem.Kind.JOB, ""),
        ("day/2.jpg", BatchItem.Kind.JOB, ""),
        ("day/readme.txt", BatchItem.Kind.REFUSED, "not_an_image"),
    ]
    assert batch.source == Batch.Source.ZIP and batch.expected == 3 and batch.name == "day.zip"


def test_the_page_reports_a_refused_zip_with_its_reasons(owner_client, media_root) -> None:
    upload = SimpleUploadedFile("evil.zip", HOSTILE["symlink"](), "application/zip")
    response = owner_client.post("/batches/", {"archive": upload}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "archive_refused" and body["details"]["problems"][0]["code"] == "symlink"
    assert files_under(media_root) == []
