"""Backup and restore, end to end, on SQLite and on the real PostgreSQL.

Each install is a set of subprocesses with its own database, MEDIA_ROOT and model store: one is filled
(tests/ops/install.py), backed up, restored into a second, empty one; rows and files must be the same, and
the restored site, served by daphne with a real worker and the real model, shows the old sightings and
classifies a new photo.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
import time
from pathlib import Path

import pytest
import requests

from tests import live
from tests.live import free_port, shared_photo, start
from tests.ops.installs import two_installs

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
PHOTOS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def installs(request, tmp_path, settings):
    if not settings.REDIS_URL:
        pytest.skip("the backup round trip needs Redis: set REDIS_URL (make test does)")
    server = live.test_database_url().rsplit("/", 1)[0] if request.param == "postgresql" else ""
    with two_installs(request.param, tmp_path, postgres_server=server, redis_url=settings.REDIS_URL) as pair:
        yield pair


def log_in(url: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{url}/accounts/login/", timeout=30)
    response = session.post(
        f"{url}/accounts/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{url}/accounts/login/"},
        timeout=30,
    )
    assert response.ok and "/accounts/login/" not in response.url, "could not log in to the restored site"
    return session


@pytest.mark.model
@pytest.mark.shared
def test_a_backup_restores_into_an_empty_install_with_the_same_rows_and_files_and_works(installs) -> None:
    old, new = installs
    filled = old.json("-m", "tests.ops.install", "populate", str(PHOTOS))
    before = old.json("-m", "tests.ops.install", "fingerprint")
    archive = old.base / "backup.tar"
    print(old.run("manage.py", "backup", "--output", str(archive)).stdout.strip())

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["rows"]["photos.Photo"] == PHOTOS
    assert (
        len([f for f in manifest["files"] if f.startswith("media/")]) == 2 * PHOTOS
    )  # originals + thumbnails
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())

    print(new.run("manage.py", "restore", str(archive)).stdout.strip())
    after = new.json("-m", "tests.ops.install", "fingerprint")
    assert after["counts"] == before["counts"]
    assert after["rows"] == before["rows"]
    assert after["media"] == before["media"] and len(after["media"]) == 2 * PHOTOS
    assert after["models"] == before["models"] and after["models"]

    port = free_port()
    web = start(
        f"web-restored-{new.name}",
        [sys.executable, "-m", "daphne", "-p", str(port), "birdsite.asgi:application"],
        new.env,
    )
    worker = start(
        f"worker-restored-{new.name}",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers",
            "worker",
            "--pool=solo",
            "-Q",
            new.env["CELERY_QUEUE"],
            "-n",
            f"restored-{new.name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        new.env,
    )
    try:
        web.wait_for(r"Listening on TCP address", timeout=60)
        url = f"http://127.0.0.1:{port}"
        session = log_in(url, filled["username"], filled["password"])
        page = session.get(f"{url}/sightings/", timeout=30).text
        assert all(name in page for name in filled["sighting_names"])
        thumbnail = session.get(f"{url}/photos/{filled['thumbnail']['id']}/thumbnail", timeout=30)
        assert hashlib.sha256(thumbnail.content).hexdigest() == filled["thumbnail"]["sha256"]

        loaded = worker.wait_for(r"model (\S+) loaded in|model preload failed", timeout=600)
        assert loaded.group(1), worker.text()[-2000:]
        with shared_photo("American_Goldfinch", 2).open("rb") as fh:
            created = session.post(
                f"{url}/",
                files={"image": ("goldfinch.jpg", fh, "image/jpeg")},
                data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
                headers={"Accept": "application/json", "Referer": f"{url}/"},
                timeout=60,
            )
        assert created.status_code == 201, created.text
        job_id = created.json()["id"]
        deadline = time.monotonic() + 300
        while (state := session.get(f"{url}/jobs/{job_id}/status.json", timeout=30).json())["status"] not in (
            "succeeded",
            "failed",
        ):
            assert time.monotonic() < deadline, state
            time.sleep(0.5)
        assert state["status"] == "succeeded", state
        assert state["model_version"] == loaded.group(1)
        assert job_id not in {filled["thumbnail"]["id"]}
    finally:
        worker.stop()
        web.stop()


def test_restore_refuses_an_install_that_is_not_empty(installs) -> None:
    old, new = installs
    old.json("-m", "tests.ops.install", "populate", "2")
    archive = old.base / "backup.tar"
    old.run("manage.py", "backup", "--output", str(archive))
    done = old.run("manage.py", "restore", str(archive), check=False)
    assert done.returncode != 0 and "not_empty" in done.stderr


def test_restore_refuses_an_archive_whose_file_does_not_match_its_hash(installs) -> None:
    old, new = installs
    old.json("-m", "tests.ops.install", "populate", "2")
    archive = old.base / "backup.tar"
    old.run("manage.py", "backup", "--output", str(archive))
    tampered = old.base / "tampered.tar"
    with tarfile.open(archive) as src, tarfile.open(tampered, "w") as out:
        for member in src:
            data = src.extractfile(member).read()
            if member.name.startswith("media/thumbnails/"):
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            out.addfile(member, io.BytesIO(data))
    done = new.run("manage.py", "restore", str(tampered), check=False)
    assert done.returncode != 0 and "corrupt_archive" in done.stderr
    media = Path(new.env["MEDIA_ROOT"])
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))  # nothing left half-restored
