from __future__ import annotations

from django.conf import settings
from django.db import models


class Sighting(models.Model):
    """What the user says they saw in one photo; starts as the model's best guess."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sightings")
    photo = models.ForeignKey("photos.Photo", on_delete=models.CASCADE, related_name="sightings")
    job = models.ForeignKey(
        "photos.ClassificationJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="sightings"
    )
    # Which bird of the job's photo this is (the job's predictions of the same ``bird``); 0 the best one.
    bird = models.PositiveSmallIntegerField(default=0)
    # Catalog key (eBird code); empty means "no bird / not named yet". Names are a snapshot so
    # history reads the same after the catalog changes.
    species_key = models.CharField(max_length=64, blank=True)
    common_name = models.CharField(max_length=200, blank=True)
    scientific_name = models.CharField(max_length=200, blank=True)
    confirmed = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    observed_at = models.DateTimeField()
    # Where: from the photo's EXIF GPS, editable; private to the owner (never in a URL).
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    location_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-observed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "bird"], condition=models.Q(job__isnull=False), name="sighting_one_per_bird"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-observed_at"], name="sighting_owner_observed"),
            models.Index(fields=["owner", "species_key"], name="sighting_owner_species"),
        ]

    def __str__(self) -> str:
        return f"{self.common_name or 'Unnamed'} ({self.owner_id})"
