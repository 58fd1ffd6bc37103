"""A real S3 API for the tests: moto's server mode, started in this process on a free port (no internet).

The site's processes (daphne, Celery workers) reach it over HTTP like any S3-compatible store, with the
settings a self-hoster would set (MEDIA_STORAGE_URL, AWS_S3_ENDPOINT_URL, keys); the test reads the
bucket with boto3 to see what really landed there.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.live import free_port

REGION = "us-east-1"
KEYS = {"AWS_ACCESS_KEY_ID": "birdsite-test", "AWS_SECRET_ACCESS_KEY": "birdsite-test-secret"}


@dataclass(frozen=True)
class ObjectStore:
    endpoint: str
    bucket: str
    prefix: str

    def env(self) -> dict[str, str]:
        """The variables that put a site's photos in this bucket."""
        return {
            "MEDIA_STORAGE_URL": f"s3://{self.bucket}/{self.prefix}",
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": REGION,
            **KEYS,
        }

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
        )

    def object_keys(self) -> list[str]:
        found: list[str] = []
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            found.extend(item["Key"] for item in page.get("Contents", []))
        return found

    def read(self, key: str) -> bytes:
        return self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()


@contextmanager
def s3_server(bucket: str = "", prefix: str = "site") -> Iterator[ObjectStore]:
    """moto's S3 server with one empty bucket (a fresh name unless given); on exit everything in it is
    forgotten (moto keeps its state per process, not per server) and the server stops."""
    bucket = bucket or f"birdsite-media-{uuid.uuid4().hex[:8]}"
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        pytest.fail("moto[server] is not installed: make install-dev installs it (pyproject dev extras)")
    # werkzeug would log every request of the site's processes: a line per photo, twice.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        store = ObjectStore(f"http://{host}:{port}", bucket, prefix)
        store.client().create_bucket(Bucket=bucket)
        yield store
    finally:
        try:
            requests.post(f"http://{host}:{port}/moto-api/reset", timeout=30)
        finally:
            server.stop()
