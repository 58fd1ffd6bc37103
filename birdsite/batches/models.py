from __future__ import annotations

from django.conf import settings
from django.db import models


class Batch(models.Model):
    """Many photos handed over at once (files, a folder, a ZIP or ``import_photos``): one job each."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    class Source(models.TextChoices):
        FILES = "files", "Files"
        ZIP = "zip", "ZIP archive"
        COMMAND = "command", "import_photos"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="batches")
    name = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.FILES)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    # How many files the client said it will send; the batch cannot finish before they arrived.
    expected = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="batch_owner_created")]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.status})"


class BatchItem(models.Model):
    """One file of a batch: its own job, a pointer at an earlier job (duplicate), or a refusal."""

    class Kind(models.TextChoices):
        JOB = "job", "Classified"
        DUPLICATE = "duplicate", "Duplicate"
        REFUSED = "refused", "Refused"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=500)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # JOB: this file's job. DUPLICATE: the earlier job of the same SHA-256 (same owner).
    job = models.ForeignKey(
        "photos.ClassificationJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    code = models.CharField(max_length=32, blank=True)
    reason = models.TextField(blank=True)
    cancelled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="batch_item_unique_position"),
        ]
        indexes = [models.Index(fields=["job"], name="batch_item_job")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"
