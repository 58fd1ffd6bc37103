from __future__ import annotations

from django.conf import settings
from django.db import models


class ReviewDecision(models.Model):
    """A reviewer's verdict on one job's predictions, beside them: predictions are never changed.

    Rows are only added (the audit trail); the newest non-skip decision of a job is its human label.
    """

    class Verdict(models.TextChoices):
        ACCEPTED = "accepted", "Accepted the top-1"
        CORRECTED = "corrected", "Corrected the species"
        NOT_BIRD = "not_bird", "Not a bird"
        UNUSABLE = "unusable", "Unusable photo"
        SKIPPED = "skipped", "Skipped"

    LABELLED = (Verdict.ACCEPTED, Verdict.CORRECTED)

    job = models.ForeignKey("photos.ClassificationJob", on_delete=models.CASCADE, related_name="reviews")
    model_version = models.CharField(max_length=64)  # the predictions this decision judged
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    # The human label (catalog key and a snapshot of its names); empty unless accepted/corrected.
    label = models.CharField(max_length=64, blank=True)
    common_name = models.CharField(max_length=200, blank=True)
    scientific_name = models.CharField(max_length=200, blank=True)
    # What the model said, copied for the agreement dashboard.
    top1_label = models.CharField(max_length=64, blank=True)
    top1_confidence = models.FloatField(null=True, blank=True)
    label_rank = models.PositiveSmallIntegerField(null=True, blank=True)  # where the label was in the top-k
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="review_decisions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["job", "-created_at"], name="review_job_created"),
            models.Index(fields=["model_version", "verdict"], name="review_version_verdict"),
        ]

    def __str__(self) -> str:
        return f"job {self.job_id}: {self.verdict} {self.label}".strip()

    @property
    def agrees(self) -> bool | None:
        if self.verdict not in self.LABELLED:
            return None
        return self.label == self.top1_label
