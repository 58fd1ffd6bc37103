"""Fault tests: real processes (daphne, Celery worker and beat, Redis, PostgreSQL), damage done for real.

Each test brings up its own stack on its own Celery queue (and, where it breaks them, its own Redis or
PostgreSQL), so neither the machine's shared servers nor other test runs are touched.
"""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, UserFactory
from tests.live import test_database_url


@pytest.fixture
def fault_user(db):
    return UserFactory(username="faulty")


@pytest.fixture
def test_db_url(live_workers) -> str:
    live_workers.stop()  # the session's worker is not needed here; leave the CPUs to the fault stack
    return test_database_url()


@pytest.fixture
def password() -> str:
    return PASSWORD
