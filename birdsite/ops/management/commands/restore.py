from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from birdsite.errors import Refused
from birdsite.ops.restore import restore_archive


class Command(BaseCommand):
    help = "Restore a `manage.py backup` archive into an empty install (migrates first)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path)

    def handle(self, *args, archive: Path, **options) -> None:
        if not archive.is_file():
            raise CommandError(f"{archive}: no such file")
        try:
            result = restore_archive(path=archive)
        except Refused as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if problems := result.mismatches():
            raise CommandError("restored, but row counts differ: " + "; ".join(problems))
        self.stdout.write(
            f"restored {result.files} files and {sum(result.rows.values())} rows in {result.seconds:.2f}s"
        )
