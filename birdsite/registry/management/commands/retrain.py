"""``python manage.py retrain``: train a candidate on the datasets plus reviewed corrections."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from birdsite.registry import selectors, services


class Command(BaseCommand):
    help = (
        "Queue (or, with --now, run here) a retraining with the reviewed corrections; prints the candidate."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--now", action="store_true", help="train in this process instead of a worker")
        parser.add_argument("--data", nargs="+", type=Path, help="dataset folders (default RETRAIN_DATASETS)")
        parser.add_argument("--epochs", type=int, default=0, help="maximum epochs (default: early stopping)")
        parser.add_argument("--promote", action="store_true", help="promote it if it is not worse")

    def handle(self, *args: Any, **opts: Any) -> None:
        options = {"epochs": opts["epochs"]} if opts["epochs"] else {}
        try:
            row = services.retraining_start(
                user=None, datasets=opts["data"], options=options, enqueue=not opts["now"]
            )
        except services.RegistryError as exc:
            raise CommandError(str(exc)) from exc
        if not opts["now"]:
            self.stdout.write(f"queued {row.version} (id {row.pk}); a worker trains it")
            return
        row = services.retraining_run(version_id=row.pk)
        if row is None or row.status != row.Status.CANDIDATE:
            raise CommandError(f"retraining failed: {row.error if row else 'not claimed'}")
        check = selectors.promotion_check(row, selectors.active_version())
        summary = {
            "version": row.version,
            "directory": row.directory,
            "held_out": row.metrics.get("overall"),
            "base_held_out": row.metrics.get("base_overall"),
            "corrections": row.metrics.get("corrections"),
            "promotion_check": check.reason,
        }
        self.stdout.write(json.dumps(summary, indent=2))
        if opts["promote"]:
            if not check.allowed:
                raise CommandError(f"not promoted: {check.reason}")
            from django.contrib.auth import get_user_model

            admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
            if admin is None:
                raise CommandError("not promoted: a promotion is recorded under a superuser; none exists")
            services.model_version_promote(version=row, user=admin)
            self.stdout.write(f"promoted {row.version}")
