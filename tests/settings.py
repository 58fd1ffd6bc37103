"""What pytest runs with: ``birdsite.settings`` itself, after filling in test defaults.

pytest-django imports settings before any conftest, so the defaults live here. Tests use real
PostgreSQL and Redis (as ``make test`` does); each run gets its own Celery queue and Channels
prefix, so two runs on one Redis never take each other's jobs. Subprocesses started by the tests
inherit this environment.
"""

import os
import uuid

from django.conf import global_settings

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/birdsite")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
_RUN_ID = uuid.uuid4().hex[:10]
os.environ["CELERY_QUEUE"] = f"birdsite-test-{_RUN_ID}"
os.environ["RETRAIN_QUEUE"] = f"birdsite-test-{_RUN_ID}-retrain"
os.environ["CHANNELS_PREFIX"] = f"birdsite-test-{_RUN_ID}"
os.environ["CACHE_PREFIX"] = f"birdsite-test-{_RUN_ID}"

from birdsite.settings import *  # noqa: E402,F403

# Each run gets its own test database too: two runs at once (a developer and CI, or parallel sessions) never
# drop each other's. Live workers read the name from settings once pytest-django has set it up.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_birdsite_{_RUN_ID}"  # noqa: F405

# Passwords: Django's PBKDF2, each (password, salt) hashed once per run (tests/hashers.py), instead of ~0.25 s
# for every user a test creates and every login it checks; the hashes are what the live servers expect.
PASSWORD_HASHERS = [
    "tests.hashers.MemoizedPBKDF2PasswordHasher",
    *(h for h in global_settings.PASSWORD_HASHERS if not h.endswith(".PBKDF2PasswordHasher")),
]
