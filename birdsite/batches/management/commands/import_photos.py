"""``python manage.py import_photos --user NAME PATH…``: photos from disk into one batch, same pipeline.

PATH may be image files, folders (walked recursively, hidden files skipped) or ZIP archives. A
progress bar follows the upload, then (unless ``--no-wait``) the workers until the batch finishes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from birdsite.batches import selectors, services
from birdsite.batches.archives import ArchiveRefused
from birdsite.batches.models import Batch


def _files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(
                    part.startswith(".") for part in child.relative_to(path).parts
                ):
                    yield child
        else:
            yield path


class Command(BaseCommand):
    help = "Identify photos from disk (files, folders, ZIP archives) as one batch of USER."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="username that will own the photos")
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        parser.add_argument("--no-wait", action="store_true", help="return once the files are queued")
        parser.add_argument(
            "--timeout", type=float, default=24 * 3600, help="seconds to wait for the workers"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user {options['user']!r}.") from exc
        missing = [str(p) for p in options["paths"] if not p.exists()]
        if missing:
            raise CommandError(f"No such file or folder: {', '.join(missing)}")
        files = list(_files(options["paths"]))
        archives = [p for p in files if p.suffix.lower() == ".zip"]
        photos = [p for p in files if p.suffix.lower() != ".zip"]
        quiet = options["no_progress"] or options["verbosity"] == 0
        label = ", ".join(p.name for p in options["paths"])[:200]
        try:
            batch = services.batch_start(
                user=user, expected=len(photos), name=label, source=Batch.Source.COMMAND
            )
        except services.BatchRefused as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Batch {batch.pk}: {len(photos)} file(s), {len(archives)} archive(s)")
        step = settings.BATCH_CHUNK_SIZE
        with tqdm(total=len(photos), unit="file", desc="upload", disable=quiet) as bar:
            for start in range(0, len(photos), step):
                group = photos[start : start + step]
                services.batch_add_files(user=user, batch_id=batch.pk, files=group)
                bar.update(len(group))
        for archive in archives:
            try:
                services.batch_add_archive(user=user, batch_id=batch.pk, archive=archive)
            except ArchiveRefused as exc:
                self.stderr.write(f"{archive}: {exc.message}")
                for problem in exc.problems:
                    self.stderr.write(f"  {problem.name or '(archive)'}: {problem.message}")
        services.batch_check_finished(batch_id=batch.pk)
        if not options["no_wait"]:
            self._wait(batch, options["timeout"], quiet)
        self._report(batch)

    def _wait(self, batch: Batch, timeout: float, quiet: bool) -> None:
        deadline = time.monotonic() + timeout
        progress = selectors.batch_progress(batch)
        with tqdm(total=progress["total"], unit="photo", desc="identify", disable=quiet) as bar:
            while True:
                batch.refresh_from_db()
                progress = selectors.batch_progress(batch)
                settled = progress["done"] + progress["failed"] + progress["cancelled"]
                bar.total = progress["total"]
                bar.update(settled - bar.n)
                if progress["finished"] or time.monotonic() > deadline:
                    return
                time.sleep(0.5)

    def _report(self, batch: Batch) -> None:
        batch.refresh_from_db()
        p = selectors.batch_progress(batch)
        rate = f", {p['images_per_second']:.1f} images/s" if p["images_per_second"] else ""
        self.stdout.write(
            f"Batch {batch.pk} {p['status']}: {p['done']} done ({p['duplicates']} duplicates), "
            f"{p['failed']} failed ({p['refused']} refused), {p['total']} in all{rate}"
        )
        for item in selectors.batch_items(batch):
            if item["outcome"] in ("failed", "refused"):
                self.stdout.write(f"  {item['name']}: {item['reason']}")
