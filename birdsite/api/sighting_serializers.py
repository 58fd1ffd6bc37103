"""Shapes of the sighting resource: sightings, a reviewer's suggestion, the life list and the exports.

Input serializers check shapes only; the services decide."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from birdsite.sightings.models import Sighting
from birdsite.sightings.selectors import STATUSES


class SightingSerializer(serializers.ModelSerializer):
    photo = serializers.IntegerField(source="photo_id", read_only=True)
    suggestion = serializers.SerializerMethodField()
    classification = serializers.IntegerField(source="job_id", read_only=True, allow_null=True)

    class Meta:
        model = Sighting
        fields = [
            "id",
            "species_key",
            "common_name",
            "scientific_name",
            "confirmed",
            "count",
            "notes",
            "observed_at",
            "location_name",
            "latitude",
            "longitude",
            "photo",
            "classification",
            "reviewed_at",
            "suggestion",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        inline_serializer(
            "ReviewSuggestion",
            {
                "species_key": serializers.CharField(),
                "common_name": serializers.CharField(),
                "scientific_name": serializers.CharField(),
            },
            allow_null=True,
        )
    )
    def get_suggestion(self, sighting: Sighting) -> dict[str, str] | None:
        """A reviewer's species waiting for the owner's answer (the web page's accept / keep), or null."""
        if not sighting.suggested_key:
            return None
        return {
            "species_key": sighting.suggested_key,
            "common_name": sighting.suggested_common_name,
            "scientific_name": sighting.suggested_scientific_name,
        }


class SightingFilterSerializer(serializers.Serializer):
    species = serializers.CharField(required=False, max_length=64, help_text="A species key (eBird code).")
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    status = serializers.ChoiceField(
        required=False,
        choices=[key for key, _ in STATUSES if key],
        help_text="confirmed, unconfirmed, reviewed (by staff) or suggested (a reviewer's species waiting).",
    )


class SightingUpdateSerializer(serializers.Serializer):
    species_key = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text='A catalog key; "" means no bird.'
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    confirmed = serializers.BooleanField(required=False)
    count = serializers.IntegerField(
        required=False, min_value=1, max_value=99999, help_text="How many birds of it (eBird's Number)."
    )
    observed_at = serializers.DateTimeField(required=False)
    location_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)

    PLACE_FIELDS = ("observed_at", "location_name", "latitude", "longitude")


class SuggestionAnswerSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=["accept", "keep"])


class LifeListQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=1, max_value=9999)


class LifeListEntrySerializer(serializers.Serializer):
    species_key = serializers.CharField()
    common_name = serializers.CharField()
    scientific_name = serializers.CharField()
    first_seen = serializers.DateTimeField()
    first_sighting = serializers.IntegerField(source="first_sighting_id")
    first_place = serializers.CharField(allow_blank=True)
    count = serializers.IntegerField()


class YearCountSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    species = serializers.IntegerField()


class LifeListSerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField()
    years = serializers.SerializerMethodField()
    entries = LifeListEntrySerializer(many=True)

    @extend_schema_field(YearCountSerializer(many=True))
    def get_years(self, lifelist: Any) -> list[dict[str, int]]:
        return [{"year": year, "species": count} for year, count in lifelist.years]


class ExportQuerySerializer(serializers.Serializer):
    include_unconfirmed = serializers.BooleanField(required=False, default=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
