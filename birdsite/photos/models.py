from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.db import models


class FiniteFloatField(models.FloatField):
    """A float column that reads NaN and infinity as missing (None).

    The results writer stores neither (``birdsite.classification.results``), but rows a damaged model
    wrote before it refused them hold both, and every page formatting one failed. The column stays a
    plain float column (``deconstruct``): no migration, only what Python reads changes."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> float | None:
        return None if value is None or not math.isfinite(value) else value

    def deconstruct(self) -> Any:
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.FloatField", args, kwargs


def _photo_path(photo: Photo, filename: str) -> str:
    return f"photos/{photo.owner_id}/{photo.sha256[:2]}/{photo.sha256}{_suffix(filename)}"


def _thumbnail_path(photo: Photo, filename: str) -> str:
    return f"thumbnails/{photo.owner_id}/{photo.sha256[:2]}/{photo.sha256}.jpg"


def _suffix(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot != -1 else ""


class Photo(models.Model):
    """An uploaded image, checked by content and stored under its SHA-256."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=_photo_path, max_length=255)
    thumbnail = models.FileField(upload_to=_thumbnail_path, max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=255, blank=True)
    image_format = models.CharField(max_length=16)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveBigIntegerField()
    # From EXIF when present (birdsite/photos/exif.py). The position is the owner's private data.
    taken_at = models.DateTimeField(null=True, blank=True)
    # The camera's clock as it read ("2024-05-01T10:47:00"): the local time where the bird was seen, kept
    # apart from ``taken_at`` (an instant) so that no zone of the site or the account ever moves it.
    taken_clock = models.CharField(max_length=19, blank=True, default="")
    taken_offset = models.SmallIntegerField(null=True, blank=True)  # minutes east of UTC, from EXIF
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    camera = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "sha256"], name="photo_owner_sha256")]

    def __str__(self) -> str:
        return f"{self.original_name or self.sha256[:12]} ({self.owner_id})"


class ClassificationJob(models.Model):
    """One run of the model over one photo. This row, not the broker, is the job's truth."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    # A job of a batch knows it (single uploads have none); jobs of a batch are sent in chunks.
    batch = models.ForeignKey(
        "batches.Batch", on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    # Bumped by every claim; the finishing write must carry the same number (a fencing token).
    attempts = models.PositiveIntegerField(default=0)
    # The claim's holder (Celery task id) and how long its lease lasts (birdsite/classification/claims.py).
    claimed_by = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # A part of the photo the user chose ("Identify this part"): normalised x, y, w, h; none = find birds.
    region_x = models.FloatField(null=True, blank=True)
    region_y = models.FloatField(null=True, blank=True)
    region_w = models.FloatField(null=True, blank=True)
    region_h = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    model_version = models.CharField(max_length=64, blank=True)
    is_bird = models.BooleanField(null=True)
    bird_score = FiniteFloatField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="job_owner_created"),
            models.Index(fields=["status", "started_at"], name="job_status_started"),
        ]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def sighting(self) -> Any:
        """The sighting of the photo's best bird (``prefetch_related("sightings")`` saves the query)."""
        cached = getattr(self, "_prefetched_objects_cache", {}).get("sightings")
        if cached is not None:
            return min(cached, key=lambda s: s.bird, default=None)
        return self.sightings.order_by("bird").first() if self.pk else None

    @property
    def region(self) -> list[float] | None:
        if self.region_w is None or self.region_h is None:
            return None
        return [self.region_x or 0.0, self.region_y or 0.0, self.region_w, self.region_h]


# A look covering at least this share of the photo is "the whole photo": no frame is drawn around it.
WHOLE_PHOTO_AREA = 0.95


class Prediction(models.Model):
    """One ranked answer of one model version. Never updated: a new model adds new rows."""

    job = models.ForeignKey(ClassificationJob, on_delete=models.CASCADE, related_name="predictions")
    model_version = models.CharField(max_length=64)
    # Which bird of the photo (0 = the best one) and where it is: normalised x, y, w, h of the
    # EXIF-oriented photo. Rows from before boxes have none and mean the whole photo.
    bird = models.PositiveSmallIntegerField(default=0)
    box_x = FiniteFloatField(null=True, blank=True)
    box_y = FiniteFloatField(null=True, blank=True)
    box_w = FiniteFloatField(null=True, blank=True)
    box_h = FiniteFloatField(null=True, blank=True)
    bird_score = FiniteFloatField(null=True, blank=True)
    rank = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=64)
    common_name = models.CharField(max_length=200)
    scientific_name = models.CharField(max_length=200, blank=True)
    confidence = FiniteFloatField()
    wikipedia_url = models.URLField(max_length=500, blank=True)
    ebird_code = models.CharField(max_length=32, blank=True)
    # What the model learned this taxon from, in words ("4 photos", "many iNaturalist photos"); blank for
    # models that did not count it.
    learned_from = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job", "model_version", "bird", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "model_version", "bird", "rank"], name="prediction_unique_bird_rank"
            ),
        ]

    def __str__(self) -> str:
        confidence = "?" if self.confidence is None else f"{self.confidence:.2f}"  # a damaged row reads None
        return f"{self.rank}. {self.common_name} {confidence}"

    @property
    def box(self) -> list[float] | None:
        if self.box_w is None or self.box_h is None:
            return None
        return [self.box_x or 0.0, self.box_y or 0.0, self.box_w, self.box_h]

    @property
    def part_box(self) -> list[float] | None:
        """The box when it marks a part of the photo; None for a look at (nearly) the whole photo, which
        pages draw no frame around (as ``static/js/regions.js`` decides for one bird)."""
        box = self.box
        return box if box is not None and box[2] * box[3] < WHOLE_PHOTO_AREA else None


class BirdAnswer(models.Model):
    """What the model answers for one bird of one model version, beside its ranked ``Prediction`` rows:
    a species it knows, a genus/family it knows, or "a species the model may not know" with the closest
    taxa it does know. Never updated. Birds stored before open-set answers have no row: they read as the
    rank-1 prediction (``birdsite.photos.selectors.current_answers``)."""

    class Kind(models.TextChoices):
        # The values are the classifier's ``classifier.result.AnswerKind`` and the API's stable enum.
        SPECIES = "species", "A species the model knows"
        HIGHER_TAXON = "higher_taxon", "A genus or family the model knows"
        UNKNOWN = "unknown", "A species the model may not know"

    job = models.ForeignKey(ClassificationJob, on_delete=models.CASCADE, related_name="answers")
    model_version = models.CharField(max_length=64)
    bird = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The taxon answered (species, genus or family); all empty for an unknown species.
    rank = models.CharField(max_length=16, blank=True)
    label = models.CharField(max_length=64, blank=True)
    common_name = models.CharField(max_length=200, blank=True)
    scientific_name = models.CharField(max_length=200, blank=True)
    # The taxon's calibrated probability; for "unknown", the probability that it is a known species.
    confidence = FiniteFloatField()
    known_score = FiniteFloatField(null=True, blank=True)  # the open-set score: higher = more likely known
    # For "unknown": up to 3 closest known taxa, {label, common_name, scientific_name, confidence}.
    closest = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job", "model_version", "bird"]
        constraints = [
            models.UniqueConstraint(fields=["job", "model_version", "bird"], name="answer_unique_bird"),
        ]

    def __str__(self) -> str:
        return f"bird {self.bird}: {self.kind} {self.common_name}".strip()
