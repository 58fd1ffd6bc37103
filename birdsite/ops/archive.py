"""The backup archive's layout: one uncompressed tar (photos are JPEG already), a manifest last.

database/sqlite.db  (SQLite, a snapshot by the sqlite3 backup API)  or
database/data.json  (PostgreSQL: Django's serialization, read in one REPEATABLE READ snapshot)
media/...           every file under MEDIA_ROOT, or in the bucket when photos are in one
models/...          every file under MODEL_STORE_DIR (retrained models)
manifest.json       format, source paths, row counts, and the sha256 and size of every member above
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from django.core.files.storage import Storage

from birdsite.errors import Refused

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/sqlite.db"
JSON_MEMBER = "database/data.json"
AREAS = ("media", "models")
CHUNK = 1024 * 1024


class BackupRefused(Refused):
    default_code = "backup_refused"


class HashingReader:
    """Reads ``fileobj`` for tarfile while hashing exactly the bytes that go into the archive."""

    def __init__(self, fileobj: BinaryIO) -> None:
        self.fileobj = fileobj
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.fileobj.read(size)
        self.digest.update(data)
        return data


def add_file(tar: tarfile.TarFile, source: Path, name: str, files: dict[str, dict[str, Any]]) -> None:
    with source.open("rb") as fh:
        info = tar.gettarinfo(fileobj=fh, arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o644
        reader = HashingReader(fh)
        tar.addfile(info, reader)
    files[name] = {"sha256": reader.digest.hexdigest(), "size": info.size}


def add_tree(tar: tarfile.TarFile, root: Path, area: str, files: dict[str, dict[str, Any]]) -> list[str]:
    """Every regular file under ``root`` as ``area/relative/path``; returns those that vanished meanwhile."""
    vanished: list[str] = []
    if not root.is_dir():
        return vanished
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        name = f"{area}/{path.relative_to(root).as_posix()}"
        try:
            add_file(tar, path, name, files)
        except FileNotFoundError:  # deleted after the database snapshot (e.g. a photo deleted just now)
            vanished.append(name)
    return vanished


def _storage_names(storage: Storage, folder: str = "") -> Iterator[str]:
    dirs, names = storage.listdir(folder)
    for name in names:
        yield f"{folder}{name}"
    for sub in dirs:
        yield from _storage_names(storage, f"{folder}{sub}/")


def add_storage(
    tar: tarfile.TarFile, storage: Storage, area: str, files: dict[str, dict[str, Any]]
) -> list[str]:
    """Every file of ``storage`` (the photos' bucket, MEDIA_STORAGE_URL) as ``area/name``, read from the
    store; returns those that vanished meanwhile."""
    vanished: list[str] = []
    for key in sorted(_storage_names(storage)):
        name = f"{area}/{key}"
        try:
            with storage.open(key, "rb") as fh:
                info = tarfile.TarInfo(name)
                info.size, info.mode = storage.size(key), 0o644
                reader = HashingReader(fh)
                tar.addfile(info, reader)
        except FileNotFoundError:
            vanished.append(name)
            continue
        files[name] = {"sha256": reader.digest.hexdigest(), "size": info.size}
    return vanished


def storage_has_files(storage: Storage) -> bool:
    return next(_storage_names(storage), None) is not None


def add_manifest(tar: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    data = json.dumps(manifest, indent=1, sort_keys=True).encode()
    info = tarfile.TarInfo(MANIFEST)
    info.size, info.mode = len(data), 0o644
    tar.addfile(info, io.BytesIO(data))


def read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError as exc:
        raise BackupRefused(
            "not_a_backup", "This archive has no manifest.json: not a birdsite backup."
        ) from exc
    manifest = json.loads(tar.extractfile(member).read())
    if manifest.get("format") != FORMAT:
        raise BackupRefused(
            "unknown_format", f"Backup format {manifest.get('format')!r}; this version reads {FORMAT}."
        )
    return manifest


def safe_target(name: str, roots: dict[str, Path]) -> Path:
    """Where member ``name`` goes; refuses anything outside the known areas (no absolute or ``..`` names)."""
    parts = PurePosixPath(name).parts
    if (
        not parts
        or parts[0] not in roots
        or ".." in parts
        or PurePosixPath(name).is_absolute()
        or len(parts) < 2
    ):
        raise BackupRefused("unsafe_member", f"The archive member {name!r} is outside media/ and models/.")
    return roots[parts[0]].joinpath(*parts[1:])


def extract_checked(
    tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path, expected: dict[str, Any]
) -> None:
    """Write one member to ``target``, refusing it (and removing what was written) if its hash differs."""
    if not member.isfile():
        raise BackupRefused("unsafe_member", f"The archive member {member.name!r} is not a regular file.")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    source = tar.extractfile(member)
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != expected["sha256"]:
        target.unlink()
        raise BackupRefused("corrupt_archive", f"{member.name} does not match its sha256 in the manifest.")
