"""Shapes of the batch resource (many photos or one ZIP at once; services in birdsite/batches)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.reverse import reverse

from birdsite.batches.models import Batch

OUTCOMES = ["queued", "running", "succeeded", "failed", "cancelled", "duplicate", "refused", "removed"]


class BatchCreateSerializer(serializers.Serializer):
    images = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        required=False,
        help_text="Repeat the field for each photo (at most 100 per request; send a ZIP for more).",
    )
    archive = serializers.FileField(required=False, use_url=False, help_text="One ZIP of photos instead.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("images")) == bool(attrs.get("archive")):
            raise serializers.ValidationError("Send repeated `images` or one `archive`, not both or neither.")
        return attrs


class BatchAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Batch.Status.choices)
    url = serializers.URLField()


class BatchItemSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    name = serializers.CharField()
    outcome = serializers.ChoiceField(choices=OUTCOMES)
    code = serializers.CharField(allow_blank=True, help_text="Why a file was refused (stable).")
    reason = serializers.CharField(allow_blank=True)
    classification = serializers.IntegerField(source="job_id", allow_null=True)
    duplicate_of = serializers.IntegerField(allow_null=True, help_text="The earlier classification of it.")
    species = serializers.CharField(allow_blank=True)


class BatchSerializer(serializers.Serializer):
    """``batch_progress`` of the batches app, with API links instead of page links."""

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    name = serializers.CharField()
    source = serializers.ChoiceField(choices=Batch.Source.choices)
    status = serializers.ChoiceField(choices=Batch.Status.choices)
    finished = serializers.BooleanField()
    total = serializers.IntegerField()
    received = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    refused = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    queued = serializers.IntegerField()
    running = serializers.IntegerField()
    no_bird = serializers.IntegerField(help_text="Of ``succeeded``: photos in which no bird was found.")
    removed = serializers.IntegerField(help_text="Files whose photo the owner has deleted since.")
    percent = serializers.IntegerField()
    images_per_second = serializers.FloatField(allow_null=True)
    seconds_left = serializers.FloatField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, progress: dict[str, Any]) -> str:
        return reverse("api:batch-detail", args=[progress["id"]], request=self.context.get("request"))


class BatchDetailSerializer(BatchSerializer):
    items = BatchItemSerializer(many=True)
