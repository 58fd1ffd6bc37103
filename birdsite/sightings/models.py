from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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
    # How many birds of the species the owner counted (eBird's "Number"); the photo shows at least one.
    count = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(99999)]
    )
    notes = models.TextField(blank=True)
    # A reviewer looked at this photo (set by review decisions); their species, when it differs from the
    # owner's, waits here as a suggestion the owner accepts or declines — never a silent rename.
    reviewed_at = models.DateTimeField(null=True, blank=True)
    suggested_key = models.CharField(max_length=64, blank=True)
    suggested_common_name = models.CharField(max_length=200, blank=True)
    suggested_scientific_name = models.CharField(max_length=200, blank=True)
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


class Observer(models.Model):
    """Per-account settings of the birder: the time zone their sightings are dated in."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="observer")
    time_zone = models.CharField(max_length=64, blank=True)  # an IANA name; empty: the site's zone

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.time_zone or 'site time zone'}"


class Place(models.Model):
    """A name the owner gave a location once; sightings near it (PLACE_RADIUS_M) read it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="places")
    name = models.CharField(max_length=200)
    latitude = models.FloatField()
    longitude = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["owner", "latitude"], name="place_owner_latitude")]

    def __str__(self) -> str:
        return f"{self.name} ({self.latitude:.4f}, {self.longitude:.4f})"
