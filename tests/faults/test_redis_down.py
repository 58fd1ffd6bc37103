"""Redis stopped while uploads arrive, then started again: every upload is accepted and finished once."""

from __future__ import annotations

import re
import time

import pytest

from tests.batches.helpers import photo
from tests.faults import ledger
from tests.faults.stack import PrivateRedis, Uploader, fault_env, stack

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_uploads_while_redis_is_down_are_stored_and_queued_when_it_returns(
    fault_user, password, test_db_url, tmp_path, live_media_root
) -> None:
    redis = PrivateRedis(tmp_path)
    redis.start()
    env = fault_env("redis", database_url=test_db_url, redis_url=redis.url, media_root=live_media_root)
    accepted: list[int] = []
    down_ids: list[int] = []
    try:
        with stack("redis", env) as site:
            site.web()
            site.beat(tmp_path)
            site.worker("worker", seconds_per_image=0.05)
            user = Uploader(site.url, fault_user.username, password)
            for n in range(5):
                response = user.upload(photo(2000 + n), f"before-{n}.jpg")
                assert response.status_code == 201, response.text
                accepted.append(response.json()["id"])
            redis.stop()
            for n in range(8):
                started = time.monotonic()
                response = user.upload(photo(2100 + n), f"during-{n}.jpg")
                assert response.status_code == 201, response.text  # stored; the publish failure is logged
                assert time.monotonic() - started < 15
                down_ids.append(response.json()["id"])
            assert user.page("/").status_code == 200  # pages still work without Redis
            assert all(ledger.rows(test_db_url)[i][1] == "pending" for i in down_ids)
            redis.start()
            # No new upload yet (one would take the waiting ones along): the sweeper must queue them.
            queued = ledger.wait_finished(test_db_url, down_ids, timeout=90)
            assert queued, "the uploads stored while Redis was down were not queued when it returned"
            for n in range(5):
                response = user.upload(photo(2200 + n), f"after-{n}.jpg")
                assert response.status_code == 201, response.text
                accepted.append(response.json()["id"])
            accepted += down_ids
            result = ledger.figures("redis-down", test_db_url, accepted, refused=0, timeout=120)
            web_log = site.procs[0].text()
            worker_log = site.procs[2].text()
    finally:
        redis.stop()
    ledger.assert_nothing_lost(result)
    assert result.succeeded == 18
    assert web_log.count("stored but not queued") == 8
    # The sweeper sent them (at least one sweep reports a requeue: the 8, plus any upload still waiting for
    # its own message when the sweep looked); that each finished once is what the ledger above shows.
    assert re.search(r"'requeued': [1-9]\d*,", worker_log), "the sweeper did not queue them"
