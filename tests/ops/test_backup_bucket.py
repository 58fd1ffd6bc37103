"""Backup and restore when photos live in an S3 bucket (MEDIA_STORAGE_URL): read from the bucket into the
archive, put back into an empty bucket, with no local media at either end (moto's S3 server, real HTTP)."""

from __future__ import annotations

import hashlib
import json
import tarfile

import pytest
from django.contrib.auth import get_user_model

from birdsite.media_storage import storages_from_env
from birdsite.ops.archive import BackupRefused
from birdsite.ops.backup import backup_write
from birdsite.ops.restore import restore_archive
from birdsite.photos.models import Photo
from tests.batches.helpers import photo
from tests.helpers import finished_job
from tests.object_store import s3_server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bucket(settings, tmp_path):
    with s3_server(prefix="site") as store:
        settings.STORAGES = storages_from_env(store.env())
        settings.MEDIA_ROOT = tmp_path / "media"  # must stay empty: nothing of the photos is local
        yield store


def hashes(store) -> dict[str, str]:
    return {key: hashlib.sha256(store.read(key)).hexdigest() for key in store.object_keys()}


def test_photos_in_a_bucket_are_backed_up_from_it_and_restored_into_an_empty_one(
    bucket, owner, tmp_path, settings
) -> None:
    jobs = [finished_job(owner, data=photo(n)) for n in range(3)]
    before = hashes(bucket)
    assert len(before) == 6 and all(key.startswith("site/") for key in before)  # photos and thumbnails

    result = backup_write(output=tmp_path / "backup.tar")
    with tarfile.open(result.path) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    media = {name: entry["sha256"] for name, entry in manifest["files"].items() if name.startswith("media/")}
    assert media == {f"media/{key.removeprefix('site/')}": digest for key, digest in before.items()}

    get_user_model().objects.all().delete()
    with pytest.raises(BackupRefused, match="bucket"):  # an install whose bucket still has photos
        restore_archive(path=result.path)
    for key in before:
        bucket.client().delete_object(Bucket=bucket.bucket, Key=key)

    restored = restore_archive(path=result.path)
    assert restored.mismatches() == [] and restored.files == len(manifest["files"]) - 1
    assert hashes(bucket) == before
    back = Photo.objects.get(pk=jobs[0].photo_id)
    with back.image.open("rb") as fh:
        assert fh.read() == photo(0)
    assert not settings.MEDIA_ROOT.exists() or not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))
