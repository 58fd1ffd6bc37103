"""The broker with nothing configured: a SQLite file, polled every CELERY_BROKER_POLL_SECONDS, not 1 s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kombu import Connection

from tests.live import ROOT

PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; from workers import app;"
    "c = app.connection_for_write(); print(json.dumps({'url': s.CELERY_BROKER_URL,"
    "'transport': getattr(s, 'CELERY_BROKER_TRANSPORT', None), 'polling': c.transport.polling_interval,"
    "'retrain_queue': app.amqp.router.route({}, 'workers.retrain', (1,), {})['queue'].name,"
    "'classify_queue': app.amqp.router.route({}, 'workers.classify', (1,), {})['queue'].name}))"
)


def probe(tmp_path: Path, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    clean.update(VAR_DIR=str(tmp_path / "var"), BIRDSITE_ENV_FILE=str(tmp_path / ".env"), **env)
    clean["DJANGO_SETTINGS_MODULE"] = "birdsite.settings"
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_with_nothing_configured_workers_poll_the_sqlite_broker_every_ten_milliseconds(tmp_path) -> None:
    values = probe(tmp_path)
    assert values["url"] == f"sqlite:///{tmp_path / 'var' / 'broker.sqlite3'}"
    assert values["transport"] == "workers.embedded_broker:Transport"
    assert values["polling"] == 0.01  # kombu's own default, 1.0, made one upload take a second


def test_the_polling_interval_is_a_setting_and_a_nonsense_value_is_refused(tmp_path) -> None:
    assert probe(tmp_path, CELERY_BROKER_POLL_SECONDS="0.05")["polling"] == 0.05
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    clean.update(VAR_DIR=str(tmp_path / "var"), CELERY_BROKER_POLL_SECONDS="0", BIRDSITE_ENV_FILE="/none")
    clean["DJANGO_SETTINGS_MODULE"] = "birdsite.settings"
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert done.returncode != 0 and "CELERY_BROKER_POLL_SECONDS" in done.stderr


def test_retraining_is_routed_to_its_own_queue_and_uploads_stay_on_the_default_one(tmp_path) -> None:
    values = probe(tmp_path, RETRAIN_QUEUE="birds-retrain", CELERY_QUEUE="birds")
    assert (values["retrain_queue"], values["classify_queue"]) == ("birds-retrain", "birds")


def test_a_message_goes_through_the_sqlite_file_and_comes_back(tmp_path, settings) -> None:
    url = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    with Connection(url, transport="workers.embedded_broker:Transport") as connection:
        assert connection.transport.polling_interval == settings.CELERY_BROKER_POLL_SECONDS
        box = connection.SimpleQueue("probe")
        box.put({"job": 7})
        message = box.get(timeout=5)
        message.ack()
        assert message.payload == {"job": 7}
        box.close()


def test_the_sqlite_broker_file_uses_wal_and_a_sender_waits_for_a_lock_instead_of_failing(tmp_path) -> None:
    import sqlite3
    import threading

    path = tmp_path / "broker.sqlite3"
    with Connection(f"sqlite:///{path}", transport="workers.embedded_broker:Transport") as connection:
        box = connection.SimpleQueue("probe")
        box.put({"job": 1})
        held = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        held.execute("BEGIN IMMEDIATE")  # another process writing for a while (the web, a worker, beat)
        release = threading.Timer(5.5, lambda: held.execute("COMMIT"))  # past pysqlite's own 5 s
        release.start()
        try:
            box.put({"job": 2})  # waits for the lock instead of "database is locked"
        finally:
            release.join()
            held.close()
        assert [box.get(timeout=5).payload for _ in range(2)] == [{"job": 1}, {"job": 2}]
        box.close()
    journal = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "wal"  # readers (every worker's poll) never hold up a sender
