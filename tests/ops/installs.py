"""Whole installs (own database, MEDIA_ROOT, model store, queue) driven through subprocesses: the backup
round-trip test and ``python -m tests.ops.measure_backup`` both use them."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Install:
    def __init__(self, base: Path, database_url: str, name: str, redis_url: str) -> None:
        self.name, self.base = name, base
        base.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ)
        self.env.update(
            PYTHONPATH=str(ROOT),
            DJANGO_SETTINGS_MODULE="birdsite.settings",
            PYTHONUNBUFFERED="1",
            REDIS_URL=redis_url,
            DATABASE_URL=database_url,
            MEDIA_ROOT=str(base / "media"),
            MODEL_STORE_DIR=str(base / "models"),
            VAR_DIR=str(base / "var"),
            CELERY_QUEUE=f"ops-backup-{name}-{uuid.uuid4().hex[:8]}",
            CHANNELS_PREFIX=f"ops-backup-{uuid.uuid4().hex[:8]}",
            WORKER_HEARTBEAT_FILE=str(base / "var" / "worker-heartbeat"),
            SECRET_KEY="backup-test-" + "k" * 40,
            MODEL_PRELOAD="true",
        )

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, *argv], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=1800
        )
        if check and done.returncode:
            raise AssertionError(f"{argv}: {done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return done

    def json(self, *argv: str) -> dict:
        return json.loads(self.run(*argv).stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def two_installs(kind: str, base: Path, *, postgres_server: str, redis_url: str) -> Iterator[list[Install]]:
    """An "old" and an empty "new" install: SQLite files, or fresh PostgreSQL databases (dropped after)."""
    names = ("old", "new")
    if kind == "sqlite":
        yield [Install(base / n, f"sqlite:///{base / n / 'db.sqlite3'}", n, redis_url) for n in names]
        return
    import psycopg

    databases = [f"birdsite_ops_{n}_{uuid.uuid4().hex[:8]}" for n in names]
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        for db in databases:
            conn.execute(f'CREATE DATABASE "{db}"')
    try:
        yield [
            Install(base / n, f"{postgres_server}/{db}", n, redis_url)
            for n, db in zip(names, databases, strict=True)
        ]
    finally:
        with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
            for db in databases:
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
