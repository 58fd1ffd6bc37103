"""Where photos live: the local media folder, or an S3-compatible object store (django-storages).

``MEDIA_STORAGE_URL`` picks it: empty (the default) or ``file:`` keeps files under ``MEDIA_ROOT``;
``s3://BUCKET[/PREFIX]`` puts them in a bucket, so web and workers on different hosts share photos
without a shared folder. The store's other options come from the usual AWS variables:

- ``AWS_S3_ENDPOINT_URL``: a non-AWS server (MinIO, Ceph, Garage...); with one set, path-style
  addressing is the default, as those servers expect (``AWS_S3_ADDRESSING_STYLE`` overrides it).
- ``AWS_S3_REGION_NAME``.
- ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, or ``*_FILE`` (Docker and Kubernetes secrets); left
  empty, boto3's own chain finds credentials (an instance role, a profile).

Photos are private: no ACL is set (the bucket's own policy applies) and the site streams every file
through its own views after checking the owner, as it does from the disk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from birdsite.env import env_choice, env_optional, env_str

FILESYSTEM = "django.core.files.storage.FileSystemStorage"
S3 = "storages.backends.s3.S3Storage"
STATICFILES = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def _s3_options(url: str, environ: Mapping[str, str] | None) -> dict[str, Any]:
    parts = urlsplit(url)
    if not parts.netloc or parts.query or parts.fragment:
        raise ImproperlyConfigured(f"MEDIA_STORAGE_URL={url!r}: write s3://BUCKET or s3://BUCKET/PREFIX")
    endpoint = env_optional("AWS_S3_ENDPOINT_URL", environ)
    options: dict[str, Any] = {
        "bucket_name": parts.netloc,
        "location": parts.path.strip("/"),
        "endpoint_url": endpoint,
        "region_name": env_optional("AWS_S3_REGION_NAME", environ),
        "addressing_style": env_choice(
            "AWS_S3_ADDRESSING_STYLE", "path" if endpoint else "auto", ("auto", "path", "virtual"), environ
        ),
        "access_key": env_optional("AWS_ACCESS_KEY_ID", environ),
        "secret_key": env_optional("AWS_SECRET_ACCESS_KEY", environ),
        "signature_version": "s3v4",
        "default_acl": None,
        # Two photos with one name must not replace each other (the S3 backend overwrites by default).
        "file_overwrite": False,
        "querystring_auth": True,
    }
    return options


def storages_from_env(environ: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Django's ``STORAGES``: the default one as ``MEDIA_STORAGE_URL`` says, static files on disk."""
    url = env_str("MEDIA_STORAGE_URL", "", environ).strip()
    scheme = urlsplit(url).scheme if url else "file"
    if scheme == "file":
        default: dict[str, Any] = {"BACKEND": FILESYSTEM}
    elif scheme == "s3":
        default = {"BACKEND": S3, "OPTIONS": _s3_options(url, environ)}
    else:
        raise ImproperlyConfigured(f"MEDIA_STORAGE_URL={url!r}: the scheme must be s3:// (or empty: disk)")
    return {"default": default, "staticfiles": STATICFILES}


def is_object_store(storages: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether photos are in a bucket rather than under ``MEDIA_ROOT`` (disk checks do not apply)."""
    return storages["default"]["BACKEND"] != FILESYSTEM
