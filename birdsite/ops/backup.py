"""``manage.py backup``: the database (a consistent snapshot), media, the model store, a manifest of hashes.

The database is read first and the files after it, so every file a row of the snapshot names is in the
archive (files are stored under their content hash and never rewritten); a file added meanwhile is
extra, harmless; one deleted meanwhile is listed in the manifest as ``vanished``.
"""

from __future__ import annotations

import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from birdsite.media_storage import is_object_store
from birdsite.ops import archive, serialization

# Not worth restoring: derived from the code (content types, permissions) or about processes that will
# not exist after a restore (heartbeats).
EXCLUDED = ("contenttypes", "auth.permission", "ops.workerheartbeat")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    seconds: float
    files: int
    rows: dict[str, int]


def _models() -> list[Any]:
    skip = {e for e in EXCLUDED if "." not in e}
    skip_models = {e for e in EXCLUDED if "." in e}
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label not in skip and m._meta.label_lower not in skip_models and m._meta.managed
    ]


def _sqlite_snapshot(target: Path) -> dict[str, int]:
    """Copy the live database with the sqlite3 backup API (consistent, unlike copying the file)."""
    connection.ensure_connection()
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
        counts = {}
        for model in _models():
            (counts[model._meta.label],) = copy.execute(
                f'SELECT COUNT(*) FROM "{model._meta.db_table}"'
            ).fetchone()
    copy.close()
    return counts


def _serialized_snapshot(target: Path) -> dict[str, int]:
    """Every row through Django's serializer, inside one read-only REPEATABLE READ transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        counts = {m._meta.label: m._base_manager.count() for m in _models()}
        # Django's json cuts timestamps to milliseconds; this one writes them whole (restore reads .json).
        serializers.register_serializer(serialization.FORMAT, "birdsite.ops.serialization")
        call_command(
            "dumpdata",
            format=serialization.FORMAT,
            natural_foreign=True,
            natural_primary=True,
            exclude=list(EXCLUDED),
            output=str(target),
            verbosity=0,
        )
    return counts


def _migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).migration_qs.order_by("id").values_list("app", "name"):
        latest[app] = name
    return latest


def backup_write(*, output: Path | None = None) -> BackupResult:
    started = time.monotonic()
    created = timezone.now()
    if output is None:
        output = Path(settings.BACKUP_DIR) / f"birdsite-backup-{created:%Y%m%d-%H%M%S}.tar"
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    files: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="birdsite-backup-") as scratch:
        if connection.vendor == "sqlite":
            member, snapshot = archive.SQLITE_MEMBER, Path(scratch) / "sqlite.db"
            rows = _sqlite_snapshot(snapshot)
        else:
            member, snapshot = archive.JSON_MEMBER, Path(scratch) / "data.json"
            rows = _serialized_snapshot(snapshot)
        migrations = _migrations()
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            archive.add_file(tar, snapshot, member, files)
            if is_object_store(settings.STORAGES):
                vanished = archive.add_storage(tar, default_storage, "media", files)
            else:
                vanished = archive.add_tree(tar, Path(settings.MEDIA_ROOT), "media", files)
            vanished += archive.add_tree(tar, Path(settings.MODEL_STORE_DIR), "models", files)
            archive.add_manifest(
                tar,
                {
                    "format": archive.FORMAT,
                    "created_at": created.isoformat(),
                    "database": {"vendor": connection.vendor, "member": member},
                    "migrations": migrations,
                    "rows": rows,
                    "files": files,
                    "vanished": vanished,
                    "paths": {
                        "media_root": str(Path(settings.MEDIA_ROOT).resolve()),
                        "model_store": str(Path(settings.MODEL_STORE_DIR).resolve()),
                        "base_dir": str(Path(settings.BASE_DIR).resolve()),
                    },
                },
            )
    partial.replace(output)  # a half-written archive never carries the final name
    return BackupResult(output, output.stat().st_size, time.monotonic() - started, len(files) - 1, rows)
