"""PostgreSQL restarted (twice) while users upload: refused requests get a clean 503, accepted ones finish."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from django.conf import settings

from tests.batches.helpers import photo
from tests.faults import ledger
from tests.faults.stack import PrivatePostgres, Uploader, fault_env, manage, stack

pytestmark = [pytest.mark.faults]
USERS = 3
SECONDS = 9


def test_restarting_postgres_under_load_loses_no_accepted_upload(tmp_path, live_media_root) -> None:
    pg = PrivatePostgres()
    pg.start()
    try:
        pg.create_database()
        env = fault_env(
            "postgres", database_url=pg.url, redis_url=settings.REDIS_URL, media_root=live_media_root
        )
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "ensure_demo_user", "--username", "loader", "--password", "load-test-pass-1")
        accepted: list[int] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        with stack("postgres", env) as site:
            site.web()
            site.beat(tmp_path)
            site.worker("worker", seconds_per_image=0.05)
            stop_at = time.monotonic() + SECONDS

            def upload_loop(number: int) -> None:
                user = Uploader(site.url, "loader", "load-test-pass-1")
                n = 0
                while time.monotonic() < stop_at:
                    n += 1
                    try:
                        response = user.upload(photo(3000 + number * 1000 + n), f"pg-{number}-{n}.jpg")
                    except requests.RequestException:
                        code = 0
                    else:
                        code = response.status_code
                        if code == 201:
                            with lock:
                                accepted.append(response.json()["id"])
                    with lock:
                        statuses[code] = statuses.get(code, 0) + 1

            threads = [threading.Thread(target=upload_loop, args=(i,)) for i in range(USERS)]
            for thread in threads:
                thread.start()
            time.sleep(3)
            pg.restart()
            time.sleep(3)
            pg.restart()
            for thread in threads:
                thread.join()
            result = ledger.figures(
                "postgres-restart",
                pg.url,
                accepted,
                refused=sum(statuses.values()) - len(accepted),
                timeout=120,
            )
        print(f"upload answers by status: {statuses}")
    finally:
        pg.stop()
    ledger.assert_nothing_lost(result)
    assert set(statuses) <= {201, 503}, statuses  # refused only with "try again", never a 500
