from __future__ import annotations

from django.core.management.base import BaseCommand
from django.template.defaultfilters import filesizeformat

from birdsite.ops.retention import Policy, policy_from_settings, retention_apply, retention_plan


class Command(BaseCommand):
    help = (
        "Report what the retention policy (RETENTION_ORIGINALS_DAYS, RETENTION_BEST_PER_SPECIES) would do; "
        "--apply replaces those originals by their thumbnail. A dry run by default."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--apply", action="store_true", help="do it (default: only report)")
        parser.add_argument("--days", type=int, help="override RETENTION_ORIGINALS_DAYS")
        parser.add_argument("--best-per-species", type=int, help="override RETENTION_BEST_PER_SPECIES")
        parser.add_argument("--list", action="store_true", help="name every photo")

    def handle(self, *args, apply: bool, days: int | None, best_per_species: int | None, **options) -> None:
        configured = policy_from_settings()
        policy = Policy(
            days=configured.days if days is None else days,
            best_per_species=configured.best_per_species if best_per_species is None else best_per_species,
        )
        if not policy.active:
            self.stdout.write(
                "No retention policy: set RETENTION_ORIGINALS_DAYS or RETENTION_BEST_PER_SPECIES."
            )
            return
        plan = retention_plan(policy=policy)
        for user, (n, size) in plan.by_user().items():
            self.stdout.write(f"  {user}: {n} originals, {filesizeformat(size)}")
        if options["list"]:
            for c in plan.photos:
                self.stdout.write(f"  photo {c.photo_id} ({c.owner}): {c.image}")
        if not apply:
            self.stdout.write(
                f"dry run: {len(plan.photos)} originals ({filesizeformat(plan.bytes)}) would give way to "
                "their thumbnail; --apply to do it"
            )
            return
        run = retention_apply(policy=policy)
        self.stdout.write(
            f"applied: {run.photos} originals replaced, {filesizeformat(run.bytes_freed)} freed"
        )
