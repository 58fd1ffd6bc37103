"""Shapes of the staff endpoints (review queue, agreement numbers, model registry). Shapes only."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from birdsite.api.classification_serializers import PredictionSerializer
from birdsite.photos.models import ClassificationJob
from birdsite.registry import selectors as registry_selectors
from birdsite.registry.models import ModelEvent, ModelVersion
from birdsite.review import selectors as review_selectors
from birdsite.review.models import ReviewDecision

# --- Review queue --------------------------------------------------------------------------------


class QueueFilterSerializer(serializers.Serializer):
    species = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="Catalog key: top-1 or the user's choice.",
    )
    model_version = serializers.CharField(required=False, allow_blank=True, max_length=64)
    disputed = serializers.BooleanField(
        required=False, default=False, help_text="Only photos whose owner named another species."
    )
    no_bird = serializers.BooleanField(
        required=False, default=False, help_text='Only photos the bird gate called "no bird".'
    )
    new_species = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only photos whose owner named a species the model has no class for (what a retrain "
        "could learn).",
    )


class UserChoiceSerializer(serializers.Serializer):
    species_key = serializers.CharField(help_text='The owner\'s species; "" when they said no bird.')
    common_name = serializers.CharField()
    scientific_name = serializers.CharField()
    confirmed = serializers.BooleanField()


class QueueItemSerializer(serializers.ModelSerializer):
    photo = serializers.IntegerField(source="photo_id", read_only=True)
    top1_confidence = serializers.FloatField(read_only=True, help_text="Lowest first.")
    predictions = serializers.SerializerMethodField(help_text="The top-5 of the job's model version.")
    user_choice = serializers.SerializerMethodField(help_text="The owner's own species, if they chose.")
    new_species = serializers.SerializerMethodField(
        help_text="The owner named a species the model has no class for (flagged for review)."
    )

    class Meta:
        model = ClassificationJob
        fields = [
            "id",
            "photo",
            "model_version",
            "is_bird",
            "bird_score",
            "top1_confidence",
            "predictions",
            "user_choice",
            "new_species",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PredictionSerializer(many=True))
    def get_predictions(self, job: ClassificationJob) -> list[dict[str, Any]]:
        return PredictionSerializer(review_selectors.predictions_of(job), many=True).data

    def get_new_species(self, job: ClassificationJob) -> bool:
        sighting = getattr(job, "sighting", None)
        return sighting is not None and review_selectors.is_new_species(sighting.species_key)

    @extend_schema_field(UserChoiceSerializer(allow_null=True))
    def get_user_choice(self, job: ClassificationJob) -> dict[str, Any] | None:
        sighting = getattr(job, "sighting", None)
        return UserChoiceSerializer(sighting).data if sighting is not None else None


class DecisionRequestSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=ReviewDecision.Verdict.choices,
        help_text="`accepted` the top-1, `corrected` (with `label`), `not_bird`, `unusable` or `skipped`.",
    )
    label = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text="A catalog key (or one of the job's top-5); needed for `corrected`.",
    )


class DecisionSerializer(serializers.ModelSerializer):
    job = serializers.IntegerField(source="job_id", read_only=True)
    reviewer = serializers.CharField(source="reviewer.username", read_only=True, allow_null=True)
    agrees = serializers.BooleanField(
        read_only=True, allow_null=True, help_text="The label is the top-1 (null without a label)."
    )

    class Meta:
        model = ReviewDecision
        fields = [
            "id",
            "job",
            "model_version",
            "verdict",
            "label",
            "common_name",
            "scientific_name",
            "top1_label",
            "top1_confidence",
            "label_rank",
            "agrees",
            "reviewer",
            "created_at",
        ]
        read_only_fields = fields


# --- Agreement dashboard -------------------------------------------------------------------------


class DashboardQuerySerializer(serializers.Serializer):
    model_version = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)


class AgreementSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The model version, or the species key.")
    name = serializers.CharField()
    labelled = serializers.IntegerField(help_text="Photos a reviewer named (accepted or corrected).")
    top1 = serializers.IntegerField()
    top5 = serializers.IntegerField()
    not_bird = serializers.IntegerField()
    unusable = serializers.IntegerField()
    top1_rate = serializers.FloatField(allow_null=True)
    top5_rate = serializers.FloatField(allow_null=True)


class CalibrationBinSerializer(serializers.Serializer):
    low = serializers.FloatField()
    high = serializers.FloatField()
    n = serializers.IntegerField()
    agreed = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    mean_confidence = serializers.FloatField(allow_null=True)


class CalibrationSerializer(serializers.Serializer):
    model_version = serializers.CharField()
    bins = CalibrationBinSerializer(many=True)


class DashboardSerializer(serializers.Serializer):
    reviewed = serializers.IntegerField(help_text="Reviewed photos (newest non-skip decision each).")
    versions = AgreementSerializer(many=True)
    species = AgreementSerializer(many=True, help_text="Least agreement first.")
    calibration = serializers.SerializerMethodField()

    @extend_schema_field(CalibrationSerializer(many=True))
    def get_calibration(self, data: Any) -> list[dict[str, Any]]:
        rows = [{"model_version": k, "bins": v} for k, v in sorted(data.calibration.items())]
        return CalibrationSerializer(rows, many=True).data


# --- Model registry ------------------------------------------------------------------------------


class HeldOutSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    top1 = serializers.FloatField()
    top5 = serializers.FloatField()


class PromotionCheckSerializer(serializers.Serializer):
    allowed = serializers.BooleanField(help_text="Whether it may be promoted without force.")
    reason = serializers.CharField()
    candidate = HeldOutSerializer(allow_null=True)
    reference = HeldOutSerializer(allow_null=True)


class ModelVersionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.version", read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    promoted_by = serializers.CharField(source="promoted_by.username", read_only=True, allow_null=True)
    held_out = serializers.SerializerMethodField(help_text="Photo-weighted held-out top-1/top-5.")
    promotion_check = serializers.SerializerMethodField(help_text="For candidates: may it be promoted?")

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "version",
            "status",
            "parent",
            "species_count",
            "held_out",
            "promotion_check",
            "metrics",
            "provenance",
            "error",
            "directory",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "promoted_by",
            "promoted_at",
            "promotion_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(HeldOutSerializer(allow_null=True))
    def get_held_out(self, version: ModelVersion) -> dict[str, float] | None:
        return registry_selectors.overall(version.metrics.get("held_out"))

    @extend_schema_field(PromotionCheckSerializer(allow_null=True))
    def get_promotion_check(self, version: ModelVersion) -> dict[str, Any] | None:
        if version.status != ModelVersion.Status.CANDIDATE:
            return None
        if "active" not in self.context:
            self.context["active"] = registry_selectors.active_version()
        check = registry_selectors.promotion_check(version, self.context["active"])
        return PromotionCheckSerializer(check).data


class ModelEventSerializer(serializers.ModelSerializer):
    version = serializers.CharField(source="version.version", read_only=True)
    previous = serializers.CharField(source="previous.version", read_only=True, allow_null=True)
    user = serializers.CharField(source="user.username", read_only=True, allow_null=True)

    class Meta:
        model = ModelEvent
        fields = ["id", "action", "version", "previous", "user", "reason", "created_at"]
        read_only_fields = fields


class ModelVersionDetailSerializer(ModelVersionSerializer):
    events = serializers.SerializerMethodField(help_text="Its audit trail, newest first.")

    class Meta(ModelVersionSerializer.Meta):
        fields = [*ModelVersionSerializer.Meta.fields, "events"]
        read_only_fields = fields

    @extend_schema_field(ModelEventSerializer(many=True))
    def get_events(self, version: ModelVersion) -> list[dict[str, Any]]:
        events = version.events.select_related("version", "previous", "user")
        return ModelEventSerializer(events, many=True).data


class PromoteRequestSerializer(serializers.Serializer):
    force = serializers.BooleanField(
        required=False, default=False, help_text="Promote even if its held-out numbers are worse."
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="Needed with `force`."
    )


class RollbackRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class NewSpeciesSerializer(serializers.Serializer):
    species_key = serializers.CharField(help_text="Catalog key (eBird code) of a species the model lacks.")
    common_name = serializers.CharField()
    scientific_name = serializers.CharField(allow_blank=True)
    photos = serializers.IntegerField(help_text="Photos people named it on, or a reviewer labelled it.")
    reviewed = serializers.IntegerField(
        help_text="Of those, photos a reviewer labelled (a retraining that adds classes could use them)."
    )
