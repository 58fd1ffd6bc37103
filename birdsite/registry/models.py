from __future__ import annotations

from django.conf import settings
from django.db import models


class ModelVersion(models.Model):
    """One trained model directory the workers may serve. Exactly one row is ACTIVE at a time (if any)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        TRAINING = "training", "Training"
        FAILED = "failed", "Failed"
        CANDIDATE = "candidate", "Candidate"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    version = models.CharField(max_length=64, unique=True)  # what Prediction.model_version records
    directory = models.CharField(max_length=500, blank=True)  # absolute path of the model directory
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )  # the model that was active when this one was trained (its held-out numbers are compared)
    species_count = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)  # classifier metrics.json
    # A running retraining's last step: {"stage", "done", "total", "at"} (classifier/training/progress.py).
    progress = models.JSONField(default=dict, blank=True)
    # Where it came from: datasets, corrections used (decision ids), options, base version.
    provenance = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    promoted_at = models.DateTimeField(null=True, blank=True)
    promotion_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="registry_one_active_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.status})"


class ModelEvent(models.Model):
    """Audit trail of the registry: who trained, promoted, forced or rolled back what, when and why."""

    class Action(models.TextChoices):
        REGISTERED = "registered", "Registered"
        RETRAIN = "retrain", "Retraining started"
        PROMOTED = "promoted", "Promoted"
        FORCED = "forced", "Promoted (forced)"
        ROLLED_BACK = "rolled_back", "Rolled back"
        LOAD_FAILED = "load_failed", "A worker could not load it"

    action = models.CharField(max_length=16, choices=Action.choices)
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="events")
    previous = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # the version that was active before this event
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.version.version}"
