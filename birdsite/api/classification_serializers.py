"""Shapes of the classification resource: uploads, regions, and the answer with its predictions and birds.

Input serializers check shapes only; the services decide."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from birdsite.photos.models import BirdAnswer, ClassificationJob, Prediction
from birdsite.photos.payloads import job_answer, prediction_payload


@extend_schema_field(
    {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}, "minItems": 4, "maxItems": 4}
)
class RegionField(serializers.Field):
    """A part of the photo as ``x,y,w,h`` (numbers from 0 to 1 of its width and height), or a JSON list.

    Only its shape is read here; whether it lies inside the photo is the service's to say (a stable
    ``invalid_region`` / ``region_too_small`` code)."""

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, str):
            data = [part.strip() for part in data.strip("[] ").split(",")]
        if not isinstance(data, list | tuple):
            raise serializers.ValidationError("Give x, y, width and height, from 0 to 1.")
        return list(data)

    def to_representation(self, value: Any) -> Any:
        return value


class ClassificationCreateSerializer(serializers.Serializer):
    # Checked by content in the photo services, not by name or declared type.
    image = serializers.FileField(allow_empty_file=True, use_url=False)
    region = RegionField(
        required=False,
        help_text='Name only this part of the photo: "x,y,w,h" from 0 to 1 (the box you drew).',
    )


class ClassificationRegionSerializer(serializers.Serializer):
    region = RegionField(help_text="The part of the photo to name again: [x, y, w, h] from 0 to 1.")


class DescribedSerializer(serializers.Serializer):
    """The site's one formatter (birdsite/confidence.py): the same words and numbers as the pages."""

    confidence_text = serializers.CharField(help_text='"91 %", never "100 %" or "0 %".')
    confidence_words = serializers.CharField(help_text='"very likely", "possible", …')
    low_confidence = serializers.BooleanField(help_text="Below the server's CONFIDENCE_THRESHOLD.")
    taxon_rank = serializers.CharField(help_text="species, genus, family or order.")
    species_url = serializers.CharField(allow_null=True, help_text="The site's page of this taxon.")


class TaxonSerializer(DescribedSerializer):
    label = serializers.CharField(help_text="Catalog key (eBird code, or genus-…/family-…).")
    common_name = serializers.CharField()
    scientific_name = serializers.CharField(allow_blank=True)
    confidence = serializers.FloatField(min_value=0, max_value=1)


class AnswerSerializer(DescribedSerializer):
    """What the model answers for one bird: the taxon it knows at the rank the probabilities support, or
    that it is probably a species it does not know (with the closest taxa it knows)."""

    kind = serializers.ChoiceField(
        choices=BirdAnswer.Kind.choices,
        help_text="Stable: `species` (a species the model knows), `higher_taxon` (a genus or family it "
        "knows), `unknown` (a species the model may not know; see `closest`).",
    )
    kind_text = serializers.CharField(help_text="The kind in words, for people.")
    rank = serializers.CharField(allow_null=True, help_text="species, genus or family; null when unknown.")
    label = serializers.CharField(allow_null=True, help_text="Catalog key of the taxon; null when unknown.")
    common_name = serializers.CharField(help_text='"a species the model may not know" when unknown.')
    scientific_name = serializers.CharField(allow_null=True)
    confidence = serializers.FloatField(
        min_value=0,
        max_value=1,
        help_text="The taxon's calibrated probability; when unknown, the probability that it is a known "
        "species after all.",
    )
    known_score = serializers.FloatField(
        allow_null=True, help_text="The open-set score (higher: more likely known); null for older results."
    )
    closest = TaxonSerializer(many=True, help_text="When unknown: up to 3 closest taxa the model knows.")


class ClassificationAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ClassificationJob.Status.choices)
    url = serializers.URLField(help_text="Poll this (optionally with `?wait=N`) for the result.")


class ClassificationWaitSerializer(serializers.Serializer):
    wait = serializers.IntegerField(
        min_value=0,
        required=False,
        default=0,
        help_text="Seconds to hold the answer until the job finishes (capped by the server).",
    )


class PredictionSerializer(DescribedSerializer):
    """One ranked prediction, as ``birdsite.photos.payloads.prediction_payload`` shows it everywhere."""

    rank = serializers.IntegerField(help_text="1 is the model's best guess.")
    label = serializers.CharField(help_text="Catalog key (eBird code, or genus-…/family-…).")
    common_name = serializers.CharField()
    scientific_name = serializers.CharField(allow_blank=True)
    confidence = serializers.FloatField(allow_null=True, min_value=0, max_value=1)
    wikipedia_url = serializers.CharField(allow_blank=True)
    ebird_code = serializers.CharField(allow_null=True)
    learned_from = serializers.CharField(
        allow_null=True,
        help_text='What the model learned it from: "4 photos", "many iNaturalist photos"; null if unknown.',
    )

    def to_representation(self, instance: Prediction) -> dict[str, Any]:
        return prediction_payload(instance)


class BirdSerializer(serializers.Serializer):
    """Schema of one entry of ``birds`` (the values: ``birdsite.photos.payloads.job_answer``)."""

    bird = serializers.IntegerField(help_text="0 is the best bird of the photo.")
    box = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="Where it is: normalised [x, y, w, h] ([0, 0, 1, 1]: the whole photo); null for older "
        "results.",
    )
    bird_score = serializers.FloatField(allow_null=True)
    answer = AnswerSerializer(allow_null=True, help_text="Null where this look is no bird.")
    predictions = serializers.SerializerMethodField()
    sighting = serializers.IntegerField(
        allow_null=True,
        help_text="The id of this bird's saved sighting (/api/v1/sightings/{id}/); null if none.",
    )

    @extend_schema_field(PredictionSerializer(many=True))
    def get_predictions(self, bird: dict[str, Any]) -> list[dict[str, Any]]:
        return bird["predictions"]


VERDICTS = ["pending", "running", "failed", "no_bird", "sure", "unsure"]


class ClassificationSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    verdict = serializers.SerializerMethodField()
    predictions = serializers.SerializerMethodField()
    photo = serializers.IntegerField(source="photo_id", read_only=True)
    sighting = serializers.SerializerMethodField(help_text="The sighting this photo became, once finished.")
    birds = serializers.SerializerMethodField(help_text="Every bird found, best first, each with its box.")
    answer = serializers.SerializerMethodField(help_text="The best bird's answer; null until finished.")
    region = serializers.SerializerMethodField(help_text="The part of the photo you asked about, if any.")

    class Meta:
        model = ClassificationJob
        fields = [
            "id",
            "url",
            "status",
            "progress",
            "verdict",
            "is_bird",
            "bird_score",
            "predictions",
            "answer",
            "birds",
            "region",
            "model_version",
            "error",
            "photo",
            "sighting",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def _answer(self, job: ClassificationJob) -> dict[str, Any]:
        """The page's ``job_answer`` for this job, built once per job per response."""
        cache = self.context.setdefault("_job_answers", {})
        if job.pk not in cache:
            cache[job.pk] = job_answer(job)
        return cache[job.pk]

    def get_url(self, job: ClassificationJob) -> str:
        return reverse("api:classification-detail", args=[job.pk], request=self.context.get("request"))

    @extend_schema_field(serializers.ChoiceField(choices=VERDICTS))
    def get_verdict(self, job: ClassificationJob) -> str:
        return self._answer(job)["verdict"]

    @extend_schema_field(PredictionSerializer(many=True))
    def get_predictions(self, job: ClassificationJob) -> list[dict[str, Any]]:
        return self._answer(job)["predictions"]

    @extend_schema_field(AnswerSerializer(allow_null=True))
    def get_answer(self, job: ClassificationJob) -> dict[str, Any] | None:
        return self._answer(job)["answer"]

    @extend_schema_field(BirdSerializer(many=True))
    def get_birds(self, job: ClassificationJob) -> list[dict[str, Any]]:
        return self._answer(job)["birds"]

    @extend_schema_field(
        serializers.ListField(child=serializers.FloatField(), allow_null=True, min_length=4, max_length=4)
    )
    def get_region(self, job: ClassificationJob) -> list[float] | None:
        return job.region

    def get_sighting(self, job: ClassificationJob) -> int | None:
        sighting = getattr(job, "sighting", None) if job.is_finished else None
        return sighting.pk if sighting is not None else None
