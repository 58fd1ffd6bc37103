"""The sliding windows behind every throttle (birdsite/ratelimits.py), with the clock passed in."""

from __future__ import annotations

import pytest

from birdsite import ratelimits
from birdsite.accounts import throttling

HOUR = 3600
START = 1_800_000_000.0  # a window boundary: divisible by 3600 and by 900


def test_the_previous_window_still_counts_after_a_boundary() -> None:
    rate = ratelimits.Rate(2, HOUR)
    assert ratelimits.hit(key="w1", rate=rate, now=START + HOUR - 2) is None
    assert ratelimits.hit(key="w1", rate=rate, now=START + HOUR - 1) is None
    wait = ratelimits.hit(key="w1", rate=rate, now=START + HOUR + 1)  # a fixed window would say 0 so far
    assert wait is not None and 0 < wait <= HOUR


def test_the_previous_window_fades_as_the_sliding_period_moves_on() -> None:
    rate = ratelimits.Rate(2, HOUR)
    for second in (1, 2):
        ratelimits.hit(key="w2", rate=rate, now=START + second)
    assert ratelimits.hit(key="w2", rate=rate, now=START + HOUR * 1.6) is None  # both over an hour old


def test_the_wait_is_the_time_until_the_estimate_is_back_under_the_limit() -> None:
    full = ratelimits.Window(current=1, previous=4, fraction=0.5, period=100)  # 1 + 4 x 0.5 = 3
    assert full.seconds_until_under(2) == 25  # 4 x (1 - f) <= 1 from f = 0.75
    over = ratelimits.Window(current=4, previous=0, fraction=0.5, period=100)
    assert over.seconds_until_under(2) == 100  # 50 left, then 4 x (1 - f) <= 2 from f = 0.5


def test_a_login_block_lasts_one_window_from_the_failure_that_reached_the_limit(settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 3  # the address's own limit is higher by default
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900
    for second in (10, 20, 30):
        throttling.login_failed(address="192.0.2.1", username="alice", now=START + second)
    for who in ({"address": "192.0.2.1", "username": "x"}, {"address": "192.0.2.2", "username": "Alice"}):
        with pytest.raises(ratelimits.Throttled) as blocked:
            throttling.login_check(**who, now=START + 899)
        assert blocked.value.retry_after == 31 and blocked.value.code == "throttled"
    throttling.login_check(address="192.0.2.1", username="alice", now=START + 931)


def test_a_cache_that_is_down_never_blocks(settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    assert ratelimits.hit(key="down", rate=ratelimits.Rate(1, 60)) is None
    throttling.login_failed(address="192.0.2.1", username="alice")
    throttling.login_check(address="192.0.2.1", username="alice")


@pytest.mark.django_db
def test_without_redis_the_counters_live_in_the_database_cache(settings) -> None:
    from django.core.management import call_command
    from django.db import connection

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "throttle_test_cache",
        }
    }
    call_command("createcachetable", verbosity=0)
    settings.LOGIN_FAILURE_LIMIT = 2
    for second in (1, 2):
        throttling.login_failed(address="192.0.2.1", username="alice", now=START + second)
    with pytest.raises(ratelimits.Throttled):
        throttling.login_check(address="192.0.2.9", username="alice", now=START + 3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM throttle_test_cache")
        assert cursor.fetchone()[0] >= 3  # two counters and a block, in a table every process reads


@pytest.mark.parametrize(
    "redis_url, backend",
    [
        ("redis://127.0.0.1:6379/15", "django.core.cache.backends.redis.RedisCache"),
        ("", "birdsite.db_cache.DatabaseCache"),  # Django's, with an exact incr
    ],
)
def test_the_shared_cache_is_redis_when_configured_else_the_database(redis_url, backend, tmp_path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "birdsite.settings"}
    env["VAR_DIR"] = str(tmp_path)
    code = "import django; django.setup(); from django.conf import settings as s; print(s.CACHES)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert f"'BACKEND': '{backend}'" in result.stdout, result.stderr


def test_a_wait_is_said_in_seconds_minutes_or_hours_and_minutes_rounded_up() -> None:
    said = [ratelimits.wait_in_words(s) for s in (1, 45, 60, 61, 720, 3600, 3660, 7201)]
    assert said == [
        "1 second", "45 seconds", "1 minute", "2 minutes", "12 minutes", "1 hour", "1 hour and 1 minute",
        "2 hours and 1 minute",
    ]  # fmt: skip
