"""Reads for /metrics, the System page and the storage page. Job state is read from the rows only."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from birdsite.ops.models import RetentionRun, WorkerHeartbeat
from birdsite.photos.models import ClassificationJob, Photo
from birdsite.registry.models import ModelVersion

Status = ClassificationJob.Status
# Upload -> result (seconds): one upload answers in about a second, a 5,000-photo batch in tens of minutes.
LATENCY_BUCKETS: tuple[float, ...] = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600)


def jobs_by_state() -> dict[str, int]:
    counts = dict(ClassificationJob.objects.values_list("status").annotate(n=Count("id")).order_by())
    return {status.value: counts.get(status.value, 0) for status in Status}


def _latency() -> ExpressionWrapper:
    return ExpressionWrapper(F("finished_at") - F("created_at"), output_field=DurationField())


@dataclass(frozen=True)
class LatencyHistogram:
    buckets: list[tuple[float, int]]  # (upper bound in seconds, jobs at or under it), cumulative
    count: int
    total_seconds: float


def latency_histogram(*, status: str, bounds: Sequence[float] = LATENCY_BUCKETS) -> LatencyHistogram:
    """Upload -> result of every finished job in ``status``, from created_at and finished_at (one query)."""
    rows = ClassificationJob.objects.filter(status=status, finished_at__isnull=False).annotate(
        latency=_latency()
    )
    aggregates = {
        f"le_{i}": Count("id", filter=Q(latency__lte=timedelta(seconds=b))) for i, b in enumerate(bounds)
    }
    result = rows.aggregate(count=Count("id"), total=Sum("latency"), **aggregates)
    total = result["total"]
    return LatencyHistogram(
        buckets=[(b, result[f"le_{i}"]) for i, b in enumerate(bounds)],
        count=result["count"],
        total_seconds=total.total_seconds() if total else 0.0,
    )


@dataclass(frozen=True)
class HourOfLatency:
    start: datetime
    count: int
    median: float | None
    p95: float | None


def _quantile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def latency_last_day(*, now: datetime | None = None, hours: int = 24) -> list[HourOfLatency]:
    """Median and 95th percentile of upload -> result per hour, for jobs finished in the last ``hours``."""
    now = now or timezone.now()
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    per_hour: list[list[float]] = [[] for _ in range(hours)]
    rows = ClassificationJob.objects.filter(
        status=Status.SUCCEEDED, finished_at__gte=first, finished_at__lte=now
    ).values_list("created_at", "finished_at")
    for created, finished in rows.iterator(chunk_size=5000):
        index = int((finished - first).total_seconds() // 3600)
        if 0 <= index < hours:
            per_hour[index].append(max(0.0, (finished - created).total_seconds()))
    out = []
    for i, values in enumerate(per_hour):
        values.sort()
        out.append(
            HourOfLatency(
                first + timedelta(hours=i), len(values), _quantile(values, 0.5), _quantile(values, 0.95)
            )
        )
    return out


@dataclass(frozen=True)
class WorkerRow:
    hostname: str
    pid: int
    queues: list[str]
    model_version: str
    age_seconds: float
    fresh: bool


def workers_seen(*, now: datetime | None = None, within: timedelta = timedelta(hours=1)) -> list[WorkerRow]:
    now = now or timezone.now()
    stale = settings.WORKER_HEARTBEAT_STALE_SECONDS
    return [
        WorkerRow(
            b.hostname,
            b.pid,
            list(b.queues),
            b.model_version,
            age := (now - b.beat_at).total_seconds(),
            age < stale,
        )
        for b in WorkerHeartbeat.objects.filter(beat_at__gte=now - within)
    ]


def retrain_runs() -> dict[str, int]:
    counts = dict(ModelVersion.objects.values_list("status").annotate(n=Count("id")).order_by())
    return {status.value: counts.get(status.value, 0) for status in ModelVersion.Status}


def originals_kept() -> Q:
    """Photos whose original is still stored (retention points the image at the thumbnail instead)."""
    return ~Q(image=F("thumbnail")) | Q(thumbnail="")


def originals_bytes() -> int:
    return Photo.objects.filter(originals_kept()).aggregate(n=Sum("size_bytes"))["n"] or 0


@dataclass(frozen=True)
class Disk:
    total: int
    used: int
    free: int


def media_disk() -> Disk | None:
    path = Path(settings.MEDIA_ROOT)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None
    return Disk(usage.total, usage.used, usage.free)


def tree_bytes(root: Path) -> tuple[int, int]:
    """(bytes, files) under ``root``; walks the disk, so for the storage page, not for every scrape."""
    size = files = 0
    for folder, _, names in os.walk(root):
        for name in names:
            try:
                size += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
            files += 1
    return size, files


def database_bytes() -> int | None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        return os.path.getsize(name) if os.path.exists(name) else None
    return None


@dataclass(frozen=True)
class StorageReport:
    areas: list[tuple[str, int, int]]  # (name, bytes, files)
    database: int | None
    disk: Disk | None
    by_user: list[dict[str, object]]
    runs: list[RetentionRun]
    backups: list[tuple[str, int, datetime]]


def storage_report(*, top_users: int = 20) -> StorageReport:
    media = Path(settings.MEDIA_ROOT)
    areas = [(name, *tree_bytes(media / name)) for name in ("photos", "thumbnails")]
    known = sum(a[1] for a in areas), sum(a[2] for a in areas)
    everything = tree_bytes(media)
    areas.append(("other media", everything[0] - known[0], everything[1] - known[1]))
    areas.append(("model store", *tree_bytes(Path(settings.MODEL_STORE_DIR))))
    by_user = list(
        Photo.objects.values("owner__username")
        .annotate(
            photos=Count("id"),
            originals=Count("id", filter=originals_kept()),
            original_bytes=Sum("size_bytes", filter=originals_kept()),
        )
        .order_by("-original_bytes", "owner__username")[:top_users]
    )
    backups = []
    if Path(settings.BACKUP_DIR).is_dir():
        for item in sorted(Path(settings.BACKUP_DIR).glob("*.tar*"), reverse=True)[:10]:
            stat = item.stat()
            backups.append((item.name, stat.st_size, datetime.fromtimestamp(stat.st_mtime, tz=UTC)))
    return StorageReport(
        areas=areas,
        database=database_bytes(),
        disk=media_disk(),
        by_user=by_user,
        runs=list(RetentionRun.objects.all()[:10]),
        backups=backups,
    )
