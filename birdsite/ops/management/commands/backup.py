from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from birdsite.ops.backup import backup_write


class Command(BaseCommand):
    help = (
        "Write one archive: database snapshot, MEDIA_ROOT, MODEL_STORE_DIR and a manifest of sha256 hashes."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--output", type=Path, help="archive path (default: BACKUP_DIR/birdsite-backup-<time>.tar)"
        )

    def handle(self, *args, output: Path | None = None, **options) -> None:
        result = backup_write(output=output)
        rows = sum(result.rows.values())
        self.stdout.write(
            f"{result.path}: {result.bytes} bytes, {result.files} files, {rows} rows, {result.seconds:.2f}s"
        )
