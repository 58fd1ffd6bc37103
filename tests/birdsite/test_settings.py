"""The settings module, imported in a clean process with a chosen environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, birdsite.settings as s; print(json.dumps({"
    "'db': s.DATABASES['default']['ENGINE'], 'db_name': str(s.DATABASES['default']['NAME']),"
    "'broker': s.CELERY_BROKER_URL, 'layer': s.CHANNEL_LAYERS['default']['BACKEND'],"
    "'debug': s.DEBUG, 'key': bool(s.SECRET_KEY), 'max': s.UPLOAD_MAX_BYTES}))"
)


def probe(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    clean.update({"VAR_DIR": str(tmp_path / "var"), "BIRDSITE_ENV_FILE": str(tmp_path / ".env")}, **env)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_with_nothing_configured_it_needs_no_server(tmp_path: Path) -> None:
    done = probe(tmp_path)
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout)
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["db_name"].startswith(str(tmp_path / "var"))
    assert values["broker"].startswith("sqlite:///")  # through workers/embedded_broker.py
    assert values["layer"] == "channels.layers.InMemoryChannelLayer"
    assert values["debug"] is False
    assert values["key"] is True
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0


def test_database_and_redis_urls_switch_to_postgresql_and_redis(tmp_path: Path) -> None:
    done = probe(tmp_path, DATABASE_URL="postgres://u@db:5432/birds", REDIS_URL="redis://cache:6379/2")
    values = json.loads(done.stdout)
    assert values["db"] == "django.db.backends.postgresql"
    assert values["db_name"] == "birds"
    assert values["broker"] == "redis://cache:6379/2"
    assert values["layer"] == "channels_redis.core.RedisChannelLayer"


def test_a_dotenv_file_is_read_but_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("UPLOAD_MAX_BYTES=1234\nDEBUG=true\n")
    values = json.loads(probe(tmp_path, DEBUG="false").stdout)
    assert values["max"] == 1234
    assert values["debug"] is False


def test_a_bad_value_stops_the_settings_with_a_clear_message(tmp_path: Path) -> None:
    done = probe(tmp_path, UPLOAD_MAX_BYTES="lots")
    assert done.returncode != 0
    assert "UPLOAD_MAX_BYTES='lots' is not an integer" in done.stderr


SQLITE_PROBE = (
    "import json, django; django.setup(); from django.db import connection as c, transaction;"
    "cur = c.cursor(); mode = cur.execute('PRAGMA journal_mode').fetchone()[0];"
    "wait = cur.execute('PRAGMA busy_timeout').fetchone()[0];"
    "print(json.dumps({'journal': mode, 'busy_ms': wait, 'begin': c.transaction_mode}))"
)


def test_the_embedded_sqlite_database_uses_wal_waits_for_locks_and_locks_before_it_reads(tmp_path) -> None:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    clean.update(VAR_DIR=str(tmp_path / "var"), BIRDSITE_ENV_FILE=str(tmp_path / ".env"))
    clean["DJANGO_SETTINGS_MODULE"] = "birdsite.settings"
    done = subprocess.run(
        [sys.executable, "-c", SQLITE_PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    # WAL: readers never block the writer; the busy wait: a writer waits its turn instead of failing with
    # "database is locked"; IMMEDIATE: a transaction that reads then writes cannot deadlock another one.
    assert json.loads(done.stdout) == {"journal": "wal", "busy_ms": 30000, "begin": "IMMEDIATE"}
