"""A bounded load test on loopback: USERS upload at once for SECONDS (at most MAX_REQUESTS), while a worker
is saturated and one more user keeps viewing pages. Reports requests, error rate and p95 latencies."""

from __future__ import annotations

import json
import statistics
import threading
import time

import pytest
from django.conf import settings

from tests.batches.helpers import photo
from tests.faults import ledger
from tests.faults.stack import Uploader, fault_env, stack
from tests.live import ARTIFACTS

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]
USERS, SECONDS, MAX_REQUESTS = 6, 10, 400


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values or [0.0])[0]


def test_many_users_uploading_at_once_get_answers_and_pages_stay_responsive(
    fault_user, password, test_db_url, live_media_root
) -> None:
    env = fault_env(
        "load", database_url=test_db_url, redis_url=settings.REDIS_URL, media_root=live_media_root
    )
    uploads: list[tuple[int, float]] = []
    pages: list[tuple[int, float]] = []
    accepted: list[int] = []
    lock = threading.Lock()
    with stack("load", env) as site:
        site.web()
        site.worker("worker", seconds_per_image=0.05)  # 20 images/s at most: the uploads outrun it
        stop_at = time.monotonic() + SECONDS

        def uploader(number: int) -> None:
            user = Uploader(site.url, fault_user.username, password)
            n = 0
            while time.monotonic() < stop_at:
                with lock:
                    if len(uploads) >= MAX_REQUESTS:
                        return
                n += 1
                started = time.monotonic()
                response = user.upload(photo(5000 + number * 1000 + n), f"load-{number}-{n}.jpg")
                with lock:
                    uploads.append((response.status_code, time.monotonic() - started))
                    if response.status_code == 201:
                        accepted.append(response.json()["id"])

        def viewer() -> None:
            user = Uploader(site.url, fault_user.username, password)
            while time.monotonic() < stop_at:
                started = time.monotonic()
                code = user.page("/sightings/").status_code
                pages.append((code, time.monotonic() - started))
                time.sleep(0.1)

        threads = [threading.Thread(target=uploader, args=(i,)) for i in range(USERS)]
        threads.append(threading.Thread(target=viewer))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        backlog = sum(row[1] == "pending" for row in ledger.rows(test_db_url).values())
        result = ledger.figures(
            "load", test_db_url, accepted, refused=len(uploads) - len(accepted), timeout=120
        )
    report = {
        "users": USERS,
        "seconds": SECONDS,
        "upload_requests": len(uploads),
        "upload_error_rate": sum(code != 201 for code, _ in uploads) / max(1, len(uploads)),
        "upload_p95_seconds": round(p95([t for _, t in uploads]), 3),
        "page_views": len(pages),
        "page_error_rate": sum(code != 200 for code, _ in pages) / max(1, len(pages)),
        "page_p95_seconds": round(p95([t for _, t in pages]), 3),
        "backlog_when_the_load_stopped": backlog,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\nLOAD {json.dumps(report)}")
    assert report["upload_error_rate"] == 0 and report["page_error_rate"] == 0, report
    assert report["page_p95_seconds"] < 2.0, report  # pages answer while the worker is saturated
    assert backlog > 0, "the worker was to be saturated"
    ledger.assert_nothing_lost(result)
