"""Shapes of the species catalog resource (search and one species)."""

from __future__ import annotations

from rest_framework import serializers


class SpeciesQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=100, help_text="Part of a common or scientific name.")
    limit = serializers.IntegerField(min_value=1, max_value=50, required=False, default=20)


class SpeciesSerializer(serializers.Serializer):
    key = serializers.CharField()
    common_name = serializers.CharField()
    scientific_name = serializers.CharField()
    ebird_code = serializers.CharField(allow_null=True)
    wikipedia_url = serializers.CharField(allow_blank=True)
