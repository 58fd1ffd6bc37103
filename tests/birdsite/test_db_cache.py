"""The database cache that holds the throttles' counters without Redis (birdsite/db_cache.py)."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)  # threads see what the others committed
BACKEND = "birdsite.db_cache.DatabaseCache"


@pytest.fixture
def db_cache(settings):
    settings.CACHES = {**settings.CACHES, "counters": {"BACKEND": BACKEND, "LOCATION": "test_db_cache"}}
    call_command("createcachetable", "--database", "default", verbosity=0)
    yield caches["counters"]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE test_db_cache")


def test_increments_from_many_threads_at_once_are_all_counted(db_cache) -> None:
    db_cache.add("hits", 0, timeout=600)
    start = threading.Barrier(8)

    def count() -> None:
        start.wait()
        try:
            for _ in range(25):
                db_cache.incr("hits")
        finally:
            connection.close()

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db_cache.get("hits") == 200


def test_an_increment_keeps_the_expiry_and_a_missing_key_says_so(db_cache) -> None:
    def expires() -> object:
        with connection.cursor() as cursor:
            cursor.execute("SELECT expires FROM test_db_cache")
            return cursor.fetchone()[0]

    db_cache.add("short", 1, timeout=3600)
    set_at_first = expires()
    assert db_cache.incr("short", 4) == 5 and db_cache.incr("short", -2) == 3
    assert expires() == set_at_first  # Django's own incr moves it to the default 300 s
    with pytest.raises(ValueError):
        db_cache.incr("never-set")
