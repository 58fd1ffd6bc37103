"""MEDIA_STORAGE_URL: photos on disk by default, in an S3 bucket for s3:// (birdsite/media_storage.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from birdsite.media_storage import FILESYSTEM, S3, is_object_store, storages_from_env
from birdsite.photos.images import UploadRejected
from birdsite.photos.storage import space_check


def test_with_nothing_set_photos_stay_on_the_disk_under_media_root() -> None:
    storages = storages_from_env({})
    assert storages["default"] == {"BACKEND": FILESYSTEM}
    assert not is_object_store(storages)
    assert storages_from_env({"MEDIA_STORAGE_URL": "file:"})["default"]["BACKEND"] == FILESYSTEM


def test_an_s3_url_names_the_bucket_and_the_prefix_and_keeps_photos_private() -> None:
    storages = storages_from_env({"MEDIA_STORAGE_URL": "s3://birds/site-a/"})
    assert storages["default"]["BACKEND"] == S3 and is_object_store(storages)
    options = storages["default"]["OPTIONS"]
    assert options["bucket_name"] == "birds" and options["location"] == "site-a"
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["file_overwrite"] is False  # two photos with one name must not replace each other
    assert options["addressing_style"] == "auto" and options["endpoint_url"] is None
    assert options["access_key"] is None and options["secret_key"] is None  # boto3's own chain then


def test_a_self_hosted_endpoint_gets_path_style_addressing_and_the_keys_may_come_from_files(tmp_path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    environ = {
        "MEDIA_STORAGE_URL": "s3://birds",
        "AWS_S3_ENDPOINT_URL": "http://minio:9000",
        "AWS_S3_REGION_NAME": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "birdsite",
        "AWS_SECRET_ACCESS_KEY_FILE": str(secret),
    }
    options = storages_from_env(environ)["default"]["OPTIONS"]
    assert options["endpoint_url"] == "http://minio:9000" and options["addressing_style"] == "path"
    assert options["region_name"] == "eu-west-1" and options["location"] == ""
    assert (options["access_key"], options["secret_key"]) == ("birdsite", "s3cr3t")
    override = storages_from_env({**environ, "AWS_S3_ADDRESSING_STYLE": "virtual"})
    assert override["default"]["OPTIONS"]["addressing_style"] == "virtual"


@pytest.mark.parametrize("url", ["gs://birds", "s3://", "s3:///prefix", "s3://birds?region=x", "birds"])
def test_a_url_it_cannot_use_stops_the_start_up(url) -> None:
    with pytest.raises(ImproperlyConfigured, match="MEDIA_STORAGE_URL"):
        storages_from_env({"MEDIA_STORAGE_URL": url})


def test_photos_in_a_bucket_are_not_refused_for_a_nearly_full_local_disk(settings) -> None:
    settings.UPLOAD_MIN_FREE_BYTES = 10**18
    with pytest.raises(UploadRejected):
        space_check(owner_id=1, size=100)  # the disk's check still holds for photos on the disk
    settings.STORAGES = storages_from_env({"MEDIA_STORAGE_URL": "s3://birds"})
    space_check(owner_id=1, size=100)
