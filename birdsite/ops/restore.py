"""``manage.py restore ARCHIVE``: a backup into an empty install (no accounts, no media, no stored models).

Every file is checked against the manifest's sha256 as it is written; the database comes back by the
sqlite3 backup API (a SQLite backup into SQLite) or by ``loaddata`` (a serialized backup into PostgreSQL or
SQLite), then ``migrate`` brings it to this version's schema. Model directories of the registry are moved
from the old install's paths to this one's. If anything fails, the files written so far are removed.
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
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, connections, transaction

from birdsite.media_storage import is_object_store
from birdsite.ops import archive
from birdsite.ops.archive import BackupRefused
from birdsite.photos.models import Photo
from birdsite.registry.models import ModelVersion


@dataclass(frozen=True)
class RestoreResult:
    seconds: float
    files: int
    rows: dict[str, int]  # now, per model
    expected: dict[str, int]  # in the backup

    def mismatches(self) -> list[str]:
        """Models whose row count differs from the backup's (empty: all match)."""
        return [
            f"{label}: {n} in the backup, {self.rows.get(label)} now"
            for label, n in self.expected.items()
            if self.rows.get(label) != n
        ]


def _has_files(root: Path) -> bool:
    return root.is_dir() and any(p.is_file() for p in root.rglob("*"))


def _refuse_unless_empty() -> None:
    problems = []
    if get_user_model().objects.exists() or Photo.objects.exists():
        problems.append("the database has accounts or photos")
    for name, root in (("MEDIA_ROOT", settings.MEDIA_ROOT), ("MODEL_STORE_DIR", settings.MODEL_STORE_DIR)):
        if name == "MEDIA_ROOT" and in_bucket():
            if archive.storage_has_files(default_storage):
                problems.append("the photos' bucket (MEDIA_STORAGE_URL) has files")
        elif _has_files(Path(root)):
            problems.append(f"{name} ({root}) has files")
    if problems:
        raise BackupRefused("not_empty", "Restore needs an empty install: " + "; ".join(problems) + ".")


def in_bucket() -> bool:
    return is_object_store(settings.STORAGES)


def _into_bucket(checked: Path, key: str) -> str:
    """A checked media file, from the scratch folder into the photos' bucket under its old name."""
    with checked.open("rb") as fh:
        stored = default_storage.save(key, File(fh))
    checked.unlink()
    if stored != key:  # the bucket was checked empty: a new name means something wrote there meanwhile
        default_storage.delete(stored)
        raise BackupRefused("not_empty", f"{key} appeared in the photos' bucket during the restore.")
    return stored


def _restore_sqlite_file(snapshot: Path) -> None:
    if connection.vendor != "sqlite":
        raise BackupRefused(
            "wrong_database",
            "This backup is a SQLite database; restore it into a SQLite install (DATABASE_URL=sqlite:///...).",
        )
    connection.ensure_connection()
    with sqlite3.connect(snapshot) as source:
        source.backup(connection.connection)
    connections.close_all()


def _restore_serialized(data: Path) -> None:
    with transaction.atomic():
        call_command("loaddata", str(data), verbosity=0)


def _move_model_directories(paths: dict[str, str]) -> None:
    """Registry rows name absolute directories: point them at this install's model store / source tree."""
    moves = [
        (paths.get("model_store"), str(Path(settings.MODEL_STORE_DIR).resolve())),
        (paths.get("base_dir"), str(Path(settings.BASE_DIR).resolve())),
    ]
    for row in ModelVersion.objects.exclude(directory=""):
        for old, new in moves:
            if (
                old
                and old != new
                and (row.directory == old or row.directory.startswith(old.rstrip("/") + "/"))
            ):
                ModelVersion.objects.filter(pk=row.pk).update(directory=new + row.directory[len(old) :])
                break


def _counts(labels: list[str]) -> dict[str, int]:
    return {label: apps.get_model(label)._base_manager.count() for label in labels}


def restore_archive(*, path: Path) -> RestoreResult:
    started = time.monotonic()
    roots = {"media": Path(settings.MEDIA_ROOT), "models": Path(settings.MODEL_STORE_DIR)}
    call_command("migrate", interactive=False, verbosity=0)
    _refuse_unless_empty()
    written: list[Path] = []
    uploaded: list[str] = []  # photos put back into the bucket, when they live in one
    try:
        with (
            tarfile.open(path, "r:*") as tar,
            tempfile.TemporaryDirectory(prefix="birdsite-restore-") as scratch,
        ):
            if in_bucket():  # media files are checked in the scratch folder, then put into the bucket
                roots["media"] = Path(scratch) / "media"
            manifest: dict[str, Any] = archive.read_manifest(tar)
            files: dict[str, dict[str, Any]] = manifest["files"]
            database_member = manifest["database"]["member"]
            snapshot = Path(scratch) / Path(database_member).name
            for member in tar:
                if member.name == archive.MANIFEST:
                    continue
                if member.name not in files:
                    raise BackupRefused("corrupt_archive", f"{member.name} is not in the manifest.")
                target = (
                    snapshot if member.name == database_member else archive.safe_target(member.name, roots)
                )
                archive.extract_checked(tar, member, target, files[member.name])
                if target != snapshot and member.name.startswith("media/") and in_bucket():
                    uploaded.append(_into_bucket(target, member.name.removeprefix("media/")))
                elif target != snapshot:
                    written.append(target)
            if len(written) + len(uploaded) != len(files) - 1:
                raise BackupRefused("corrupt_archive", "Some files of the manifest are not in the archive.")
            if database_member == archive.SQLITE_MEMBER:
                _restore_sqlite_file(snapshot)
            else:
                _restore_serialized(snapshot)
        call_command("migrate", interactive=False, verbosity=0)  # a backup from an older version
        _move_model_directories(manifest.get("paths", {}))
    except BaseException:
        for target in written:
            target.unlink(missing_ok=True)
        for key in uploaded:
            default_storage.delete(key)
        for root in roots.values():
            for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
                if not any(folder.iterdir()):
                    folder.rmdir()
        raise
    expected = manifest["rows"]
    files_back = len(written) + len(uploaded)
    return RestoreResult(time.monotonic() - started, files_back, _counts(list(expected)), expected)
