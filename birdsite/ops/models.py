"""What operating the site needs to remember: which worker processes are alive, and what retention did."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """The latest beat of one worker process (workers/heartbeat.py writes it every WORKER_HEARTBEAT_SECONDS).

    The web side reads these rows for /readyz, /metrics and the System page; it never asks the broker."""

    hostname = models.CharField(max_length=200)  # Celery node name, e.g. celery@host
    pid = models.PositiveIntegerField()
    queues = models.JSONField(default=list)
    # The version this process has loaded ("" until its model is loaded, and in a prefork parent).
    model_version = models.CharField(max_length=64, blank=True)
    # False when the process takes no jobs (its model failed to load or its self-check), with why.
    ready = models.BooleanField(default=True)
    reason = models.TextField(blank=True)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    class Meta:
        ordering = ["hostname", "pid"]
        constraints = [
            models.UniqueConstraint(fields=["hostname", "pid"], name="ops_heartbeat_one_per_process")
        ]
        indexes = [models.Index(fields=["beat_at"], name="ops_heartbeat_beat_at")]

    def __str__(self) -> str:
        return f"{self.hostname} pid {self.pid}"


class RetentionRun(models.Model):
    """One application of the retention policy (a dry run is not recorded)."""

    policy = models.JSONField(default=dict)  # {"days": N, "best_per_species": N}
    photos = models.PositiveIntegerField(default=0)  # originals replaced by their thumbnail
    bytes_freed = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"retention {self.created_at:%Y-%m-%d %H:%M}: {self.photos} originals"
