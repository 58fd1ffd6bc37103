"""Workers on several "hosts": three Celery worker processes, each with a scratch folder of its own and no
shared media folder, against one Redis, one PostgreSQL and an S3 bucket (moto's S3 server). 300 photos
arrive through the batch page; one worker is killed (-9) mid-run; every job is done once, and every photo
was read from the bucket."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests.batches.helpers import photo
from tests.fakes import SPECIES
from tests.faults import ledger
from tests.faults.stack import Uploader, fault_env, stack
from tests.object_store import s3_server

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]
PHOTOS = 300
GROUP = 32  # files per request, as the batch page sends them (birdsite/static/js/batch.js)
TASK_RECEIVED = re.compile(r"\[([0-9a-f-]{36})\] received")


def distinct_photo(n: int) -> bytes:
    return photo(n, size=(48 + n // 256, 36))  # photo() repeats its colours every 256


def send_batch(user: Uploader, count: int) -> int:
    """The batch page's way: the first group makes the batch, the others are added to it."""
    token = {"Accept": "application/json", "X-CSRFToken": user.http.cookies["csrftoken"]}
    url, batch_id = f"{user.base}/batches/", None
    for start in range(0, count, GROUP):
        files = [
            ("files", (f"b{n}.jpg", distinct_photo(n), "image/jpeg")) for n in range(start, start + GROUP)
        ]
        response = user.http.post(url, files=files[: count - start], data={"expected": count}, headers=token)
        assert response.status_code in (200, 201), response.text[:500]
        url, batch_id = f"{user.base}{response.json()['files_url']}", response.json()["id"]
    assert batch_id is not None
    return batch_id


def running_claims(db_url: str) -> tuple[int, set[str]]:
    """Jobs succeeded so far, and the Celery task ids holding a running job's claim."""
    with psycopg.connect(db_url, connect_timeout=10) as conn:
        rows = conn.execute("SELECT status, claimed_by FROM photos_classificationjob").fetchall()
    return sum(status == "succeeded" for status, _ in rows), {
        by for status, by in rows if status == "running"
    }


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_three_workers_with_their_own_scratch_dirs_finish_every_job_once_when_one_is_killed(
    fault_user, password, test_db_url, tmp_path
) -> None:
    scratch = {name: tmp_path / name for name in ("web", "worker-1", "worker-2", "worker-3")}
    with s3_server() as store:
        env = fault_env(
            "scale",
            database_url=test_db_url,
            redis_url=settings.REDIS_URL,
            media_root=scratch["web"],
            JOB_LEASE_SECONDS="5",
            JOB_LEASE_RENEW_SECONDS="1",
            BATCH_CHUNK_SIZE="8",
            **store.env(),
        )
        with stack("scale", env) as site:
            site.web()
            site.beat(tmp_path)
            workers = [
                site.worker(name, seconds_per_image=0.1, wait=False, MEDIA_ROOT=str(scratch[name]))
                for name in ("worker-1", "worker-2", "worker-3")
            ]
            for worker in workers:
                worker.wait_for(r"ready\.", timeout=180)
            user = Uploader(site.url, fault_user.username, password)
            single = user.upload(distinct_photo(PHOTOS), "single.jpg")
            assert single.status_code == 201, single.text
            batch_id = send_batch(user, PHOTOS)

            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:  # kill worker 1 while it holds a claim, work done and to do
                done, holders = running_claims(test_db_url)
                if done >= PHOTOS // 5 and holders & set(TASK_RECEIVED.findall(workers[0].text())):
                    break
                time.sleep(0.05)
            else:
                pytest.fail(f"worker-1 never held a claim with work done: {workers[0].text()[-2000:]}")
            os.kill(workers[0].process.pid, signal.SIGKILL)
            workers[0].process.wait()

            accepted = list(ledger.rows(test_db_url))
            result = ledger.figures("scale-out", test_db_url, accepted, refused=0, timeout=150)
            page = user.page(f"/jobs/{single.json()['id']}/")
            image = user.page(single.json()["image_url"])
            progress = user.page(f"/batches/{batch_id}/status.json").json()
        keys = store.object_keys()

    ledger.assert_nothing_lost(result)
    assert result.accepted == PHOTOS + 1 and result.succeeded == PHOTOS + 1
    assert result.retried >= 1  # the dead worker's claims were taken again, each stored once
    assert progress["succeeded"] == PHOTOS and progress["finished"]
    for worker in workers[1:]:
        assert TASK_RECEIVED.search(worker.text()), f"{worker.name} took no work"
    # Photos and thumbnails are in the bucket only: no scratch folder, web's or a worker's, holds one.
    assert len(keys) == 2 * (PHOTOS + 1) and all(key.startswith("site/") for key in keys), keys[:5]
    assert {name: files_under(root) for name, root in scratch.items()} == dict.fromkeys(scratch, [])
    assert page.status_code == 200 and SPECIES[0][1] in page.text
    assert image.status_code == 200 and image.content == distinct_photo(PHOTOS)
