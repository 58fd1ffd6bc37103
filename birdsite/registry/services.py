"""Writes of the model registry: register, retrain (queue and run), promote, roll back.

Workers notice the switch by themselves (workers/model_switch.py): nothing is restarted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from birdsite.classification import queue
from birdsite.errors import Refused
from birdsite.registry import selectors
from birdsite.registry.models import ModelEvent, ModelVersion
from birdsite.served import configured_model_dir

log = logging.getLogger(__name__)
Status = ModelVersion.Status
Action = ModelEvent.Action


class RegistryError(Refused):
    """A registry action that cannot be done; the message says why, for people."""

    default_code = "registry_refused"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


@transaction.atomic
def model_version_register(
    *, directory: Path, status: str = Status.CANDIDATE, user: AbstractBaseUser | None = None
) -> ModelVersion:
    """A row for an existing model directory (its config.json names the version)."""
    directory = Path(directory).resolve()
    config = _read_json(directory / "config.json")
    if not config:
        raise RegistryError("registry_refused", f"{directory} is not a model directory (no config.json).")
    if status == Status.ACTIVE:
        ModelVersion.objects.filter(status=Status.ACTIVE).update(status=Status.RETIRED)
    row, _ = ModelVersion.objects.update_or_create(
        version=config["version"],
        defaults={
            "directory": str(directory),
            "status": status,
            "species_count": len(config.get("classes", [])),
            "metrics": _read_json(directory / "metrics.json"),
            "provenance": {"data": config.get("data", {}), "options": config.get("options", {})},
            "finished_at": timezone.now(),
        },
    )
    ModelEvent.objects.create(action=Action.REGISTERED, version=row, user_id=getattr(user, "pk", None))
    return row


def model_version_ensure_active() -> ModelVersion | None:
    """The active row; registers the model served today as active if the registry has none yet."""
    active = selectors.active_version()
    if active is not None:
        return active
    try:
        directory = configured_model_dir()
    except OSError:
        return None
    if not (directory / "config.json").is_file():
        return None
    return model_version_register(directory=directory, status=Status.ACTIVE)


@transaction.atomic
def retraining_start(
    *,
    user: AbstractBaseUser | None,
    datasets: list[Path] | None = None,
    options: dict[str, Any] | None = None,
    enqueue: bool = True,
) -> ModelVersion:
    """A QUEUED row, and (after commit) the worker task that trains it."""
    stale = timezone.now() - dt.timedelta(seconds=settings.RETRAIN_STALE_SECONDS)
    ModelVersion.objects.filter(status__in=[Status.QUEUED, Status.TRAINING], created_at__lt=stale).update(
        status=Status.FAILED, error="Abandoned: no worker finished it in time.", finished_at=timezone.now()
    )
    if ModelVersion.objects.filter(status__in=[Status.QUEUED, Status.TRAINING]).exists():
        raise RegistryError("registry_refused", "A retraining is already queued or running.")
    base = model_version_ensure_active()
    dirs = [str(Path(d).resolve()) for d in (datasets or settings.RETRAIN_DATASETS)]
    row = ModelVersion.objects.create(
        version=f"pending-{timezone.now():%Y%m%d%H%M%S%f}",
        status=Status.QUEUED,
        parent=base,
        created_by_id=getattr(user, "pk", None),
        provenance={"datasets": dirs, "options": options or {}},
    )
    row.version = f"rt{row.pk}-{timezone.now():%Y%m%d-%H%M}"
    row.save(update_fields=["version"])
    ModelEvent.objects.create(
        action=Action.RETRAIN, version=row, previous=base, user_id=getattr(user, "pk", None)
    )
    if enqueue:
        queue.retrain_send_on_commit(row.pk)
    return row


def _recipe(row: ModelVersion) -> dict[str, Any]:
    """The base model's training options, then the row's own: a retraining changes only the data."""
    from classifier.training import TrainOptions

    known = {f.name for f in dataclasses.fields(TrainOptions)} - {"extra"}
    base = row.parent.provenance.get("options", {}) if row.parent else {}
    return {k: v for k, v in {**base, **row.provenance.get("options", {})}.items() if k in known}


def _train(**kwargs: Any) -> dict[str, Any]:
    from classifier.training import train_with_corrections

    return train_with_corrections(**kwargs)


PROGRESS_EVERY = 2.0  # seconds between two writes of a retraining's progress to its row


def progress_writer(version_id: int) -> Callable[[str, int, int], None]:
    """A training progress listener that keeps the row's ``progress`` current (at most every
    ``PROGRESS_EVERY`` seconds, and at the end of each stage), for the registry page to show."""
    last = {"at": 0.0, "stage": ""}

    def write(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == last["stage"] and done < total and now - last["at"] < PROGRESS_EVERY:
            return
        last.update(at=now, stage=stage)
        progress = {"stage": stage, "done": done, "total": total, "at": timezone.now().isoformat()}
        ModelVersion.objects.filter(pk=version_id, status=Status.TRAINING).update(progress=progress)

    return write


def retraining_run(*, version_id: int, train: Callable[..., dict[str, Any]] = _train) -> ModelVersion | None:
    """Train the QUEUED row ``version_id`` on its datasets plus reviewed corrections; None if not ours."""
    from birdsite.photos.models import Photo
    from birdsite.photos.storage import local_file
    from birdsite.review.selectors import training_corrections
    from classifier.catalog import Catalog
    from classifier.training import Correction, TrainOptions, listening

    claimed = ModelVersion.objects.filter(pk=version_id, status=Status.QUEUED).update(
        status=Status.TRAINING, started_at=timezone.now()
    )
    if not claimed:
        return None
    row = ModelVersion.objects.select_related("parent").get(pk=version_id)
    out_dir = Path(settings.MODEL_STORE_DIR).resolve() / row.version
    try:
        datasets = [Path(d) for d in row.provenance["datasets"]]
        missing = [str(d) for d in datasets if not d.is_dir()]
        if missing:
            raise RegistryError("registry_refused", f"Dataset folders not found: {', '.join(missing)}")
        corrections = training_corrections()
        options = TrainOptions(**_recipe(row))
        storage = Photo._meta.get_field("image").storage
        with (
            tempfile.TemporaryDirectory(prefix="birdsite-corrections-") as scratch,
            listening(progress_writer(row.pk)),
        ):
            metrics = train(
                data_dirs=datasets,
                out_dir=out_dir,
                corrections=[
                    Correction(local_file(storage, c.name, Path(scratch)), c.label) for c in corrections
                ],
                catalog=Catalog.load(),
                options=options,
                version=row.version,
                base_model_dir=Path(row.parent.directory) if row.parent and row.parent.directory else None,
            )
    except Exception as exc:
        log.exception("retraining %s failed", row.version)
        shutil.rmtree(out_dir, ignore_errors=True)
        row.status, row.error, row.finished_at = Status.FAILED, f"{type(exc).__name__}: {exc}", timezone.now()
        row.save(update_fields=["status", "error", "finished_at"])
        return row
    config = _read_json(out_dir / "config.json")
    row.directory = str(out_dir)
    row.metrics = metrics
    row.species_count = len(config.get("classes", []))
    row.provenance = {
        **row.provenance,
        "base_version": row.parent.version if row.parent else None,
        "decision_ids": [c.decision_id for c in corrections],
        "data": config.get("data", {}),
        "options": config.get("options", {}),
    }
    row.status, row.finished_at = Status.CANDIDATE, timezone.now()
    row.save()
    return row


def _activate(*, version: ModelVersion, previous: ModelVersion | None) -> None:
    if previous is not None and previous.pk != version.pk:
        ModelVersion.objects.filter(pk=previous.pk).update(status=Status.RETIRED)
    ModelVersion.objects.filter(pk=version.pk).update(status=Status.ACTIVE)


@transaction.atomic
def model_version_promote(
    *, version: ModelVersion, user: AbstractBaseUser, force: bool = False, reason: str = ""
) -> ModelVersion:
    """Make ``version`` the served model: refused if its held-out numbers are worse, unless forced with
    a reason. Workers switch within ``MODEL_CHECK_SECONDS``."""
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    active = model_version_ensure_active()
    if active is not None and active.pk == version.pk:
        raise RegistryError("registry_refused", f"{version.version} is already active.")
    check = selectors.promotion_check(version, active)
    if version.status not in (Status.CANDIDATE, Status.RETIRED):
        raise RegistryError("registry_refused", check.reason)
    if not check.allowed:
        if not force:
            raise RegistryError(
                "registry_refused", check.reason + " Promote with force and a reason to do it anyway."
            )
        if not reason.strip():
            raise RegistryError("registry_refused", "A forced promotion needs a reason.")
    _activate(version=version, previous=active)
    version.refresh_from_db()
    version.promoted_by_id, version.promoted_at = user.pk, timezone.now()
    version.promotion_reason = reason.strip() or check.reason
    version.save(update_fields=["promoted_by", "promoted_at", "promotion_reason"])
    ModelEvent.objects.create(
        action=Action.PROMOTED if check.allowed else Action.FORCED,
        version=version,
        previous=active,
        user_id=user.pk,
        reason=version.promotion_reason,
    )
    return version


@transaction.atomic
def model_version_rollback(*, user: AbstractBaseUser, reason: str = "") -> ModelVersion:
    """Serve again the version that was active before the current one; one click, no checks."""
    current = selectors.active_version()
    target = selectors.rollback_target()
    if current is None or target is None:
        raise RegistryError("registry_refused", "There is no earlier version to roll back to.")
    _activate(version=target, previous=current)
    ModelEvent.objects.create(
        action=Action.ROLLED_BACK,
        version=target,
        previous=current,
        user_id=user.pk,
        reason=reason.strip() or f"Rolled back from {current.version}.",
    )
    target.refresh_from_db()
    return target


@transaction.atomic
def model_version_load_failed(*, directory: str, error: str, worker: str) -> ModelVersion | None:
    """A worker could not load the version at ``directory`` and serves the shipped model instead.

    The row keeps its status (another worker may load it, and rolling back is a person's decision) but
    shows the error, and the audit trail says which worker failed and why. None: no row has that directory.
    """
    resolved = str(Path(directory).resolve())
    rows = ModelVersion.objects.select_for_update(of=("self",)).filter(directory__in={directory, resolved})
    row = rows.filter(status=Status.ACTIVE).first() or rows.first()
    if row is None:
        return None
    reason = f"{worker} could not load it and serves the shipped model instead: {error}"[:2000]
    row.error = reason
    row.save(update_fields=["error"])
    ModelEvent.objects.create(action=Action.LOAD_FAILED, version=row, reason=reason)
    return row


def retrainings_resend(*, older_than: float | None = None) -> int:
    """QUEUED retrainings whose message never reached a worker (the broker was down): send them again.

    Run by the sweeper. Sending twice is harmless: the task claims only a QUEUED row.
    """
    age = settings.SWEEP_PENDING_SECONDS if older_than is None else older_than
    cutoff = timezone.now() - dt.timedelta(seconds=age)
    waiting = list(
        ModelVersion.objects.filter(status=Status.QUEUED, created_at__lt=cutoff).values_list("pk", flat=True)
    )
    for version_id in waiting:
        if not queue.send(queue.RETRAIN, [version_id]):
            break
    return len(waiting)
