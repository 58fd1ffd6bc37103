"""The API over real HTTP (daphne, PostgreSQL, Redis, a Celery worker); schemathesis on the live schema."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from birdsite.api import services as token_services
from birdsite.photos import services as photo_services
from birdsite.photos.models import ClassificationJob
from tests.factories import UserFactory
from tests.fakes import FakeClassifier, jpeg_bytes
from tests.helpers import process
from tests.live import ARTIFACTS, free_port, live_env, shared_photo, start

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
SCHEMATHESIS_CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]
SCHEMATHESIS_MAX_EXAMPLES = 15


@pytest.fixture(scope="module")
def api_site(django_db_setup, live_media_root):
    """daphne serving the site with generous throttles (the fuzzer uploads a lot), a 20 s wait cap and quick
    password hashing (site_settings.py)."""
    port = free_port()
    argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "birdsite.asgi:application"]
    env = live_env(
        live_media_root,
        API_WAIT_MAX_SECONDS="20",
        API_UPLOAD_RATE_USER="100000/hour",
        API_UPLOAD_RATE_IP="100000/hour",
        API_TOKEN_RATE_IP="100000/hour",
        DJANGO_SETTINGS_MODULE="tests.birdsite.api.site_settings",
    )
    web = start("web-api", argv, env)
    web.wait_for(r"Listening on TCP address", timeout=60)
    yield f"http://127.0.0.1:{port}"
    web.stop()


def api_user(username: str) -> tuple[object, dict[str, str]]:
    user = UserFactory(username=username)
    _, raw = token_services.token_create(user=user, name="live test")
    return user, {"Authorization": f"Token {raw}"}


def server_is_holding(job_id: int, timeout: float = 30) -> None:
    """Return once the web server is inside ``?wait``: another PostgreSQL session polls the job's status
    (pg_stat_activity shows its latest query)."""
    table = ClassificationJob._meta.db_table
    pattern = f'SELECT "{table}"."status" AS "status" FROM "{table}" WHERE "{table}"."id" = {int(job_id)} %'
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND query LIKE %s",
                [pattern],
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)  # polling the server's state for the event; not a guess at how long it takes
    raise AssertionError(f"the web server never started waiting on job {job_id}")


def test_a_waiting_request_does_not_hold_up_other_requests(api_site) -> None:
    user, headers = api_user("waiter")
    photo = photo_services.photo_create(owner=user, data=jpeg_bytes(), filename="bird.jpg")
    job = ClassificationJob.objects.create(owner=user, photo=photo)  # never queued: stays pending
    waited: dict[str, float] = {}

    def wait() -> None:
        started = time.monotonic()
        response = requests.get(f"{api_site}/api/v1/classifications/{job.pk}/?wait=3", headers=headers)
        waited["seconds"], waited["status"] = time.monotonic() - started, response.json()["status"]

    waiter = threading.Thread(target=wait)
    waiter.start()
    server_is_holding(job.pk)
    quick = []
    for _ in range(3):
        started = time.monotonic()
        assert requests.get(f"{api_site}/api/v1/auth/tokens/", headers=headers).status_code == 200
        quick.append(time.monotonic() - started)
        assert waiter.is_alive(), "the waiting request was answered before the others were done"
    waiter.join()
    assert waited["status"] == "pending" and waited["seconds"] >= 2.9
    assert max(quick) < 1.0, quick


def test_daphne_leaves_upload_parsing_to_django(api_site) -> None:
    """Twisted would parse this malformed multipart body itself and answer a bare 400."""
    body = b"--abc--\r\n"
    head = (
        "POST /api/v1/classifications/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: multipart/form-data; boundary=abc\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    host, port = api_site.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head.encode() + body)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 401") and b"application/json" in answer


def test_schemathesis_finds_no_server_error_and_no_schema_violation(api_site, fake_worker, tmp_path) -> None:
    """Uploads the fuzzer gets accepted are finished by a worker (fake model), so ``?wait`` returns."""
    user, headers = api_user("fuzzer")
    photo = photo_services.photo_create(owner=user, data=jpeg_bytes(), filename="bird.jpg")
    job = ClassificationJob.objects.create(owner=user, photo=photo)
    process([job.pk], FakeClassifier())  # a finished job, a sighting
    report = ARTIFACTS / "schemathesis.json"
    ARTIFACTS.mkdir(exist_ok=True)
    argv = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{api_site}/api/v1/schema/",
        "--header",
        f"Authorization: {headers['Authorization']}",
        "--checks",
        ",".join(SCHEMATHESIS_CHECKS),
        "--max-examples",
        str(SCHEMATHESIS_MAX_EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        "20261129",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=tmp_path)  # its state dir
    (ARTIFACTS / "schemathesis.log").write_text(run.stdout + run.stderr)
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    figures = json.loads(report.read_text())
    assert figures["operations"]["tested"] == figures["operations"]["total"] >= 12
    assert figures["test_cases"]["with_failures"] == 0 and figures["test_cases"]["errored"] == 0


@pytest.mark.model
@pytest.mark.shared
def test_a_real_photo_posted_to_the_api_is_named_by_the_real_model(api_site, real_worker) -> None:
    _, headers = api_user("camera-trap")
    photo = shared_photo("American_Goldfinch", 1)
    response = requests.post(
        f"{api_site}/api/v1/classifications/",
        headers=headers,
        files={"image": (photo.name, photo.read_bytes(), "image/jpeg")},
    )
    assert response.status_code == 202, response.text
    url = response.json()["url"]
    deadline = time.monotonic() + 300
    body = requests.get(url, headers=headers, params={"wait": 20}, timeout=60).json()
    while body["status"] in ("pending", "running") and time.monotonic() < deadline:
        body = requests.get(url, headers=headers, params={"wait": 20}, timeout=60).json()
    assert body["status"] == "succeeded", body
    assert body["model_version"] == real_worker.info["model_version"] and body["is_bird"] is True
    names = [p["common_name"] for p in body["predictions"]]
    assert len(names) == 5 and "American Goldfinch" in names
    assert body["predictions"][0]["wikipedia_url"].startswith("https://en.wikipedia.org/wiki/")
