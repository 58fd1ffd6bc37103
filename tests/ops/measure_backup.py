"""``python -m tests.ops.measure_backup [--photos 200]``: backup and restore sizes and times on an install of
real photos (../shared's CUB set), on SQLite and on PostgreSQL. Prints one JSON line per database; by hand,
not a test (figures go in docs/operations.md)."""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from pathlib import Path

from tests.ops.installs import two_installs


def _bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


def measure(kind: str, photos: int, server: str, redis_url: str) -> dict:
    with (
        tempfile.TemporaryDirectory(prefix="birdsite-measure-") as tmp,
        two_installs(kind, Path(tmp), postgres_server=server, redis_url=redis_url) as (old, new),
    ):
        old.json("-m", "tests.ops.install", "populate", str(photos), "--shared")
        archive = old.base / "backup.tar"
        started = time.monotonic()
        said = old.run("manage.py", "backup", "--output", str(archive)).stdout
        backup_wall = time.monotonic() - started
        started = time.monotonic()
        restored = new.run("manage.py", "restore", str(archive)).stdout
        restore_wall = time.monotonic() - started
        return {
            "database": kind,
            "photos": photos,
            "media_bytes": _bytes(old.base / "media"),
            "archive_bytes": archive.stat().st_size,
            "backup_seconds_in_command": float(re.search(r"([\d.]+)s$", said.strip()).group(1)),
            "backup_seconds_wall": round(backup_wall, 2),
            "restore_seconds_in_command": float(re.search(r"in ([\d.]+)s", restored).group(1)),
            "restore_seconds_wall": round(restore_wall, 2),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    server = os.environ.get("POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    for kind in args.databases.split(","):
        print(json.dumps(measure(kind, args.photos, server, redis_url)), flush=True)


if __name__ == "__main__":
    main()
