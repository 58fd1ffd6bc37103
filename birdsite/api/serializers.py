"""Shapes in and out of the API. Input serializers check shapes only; the services decide."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.reverse import reverse

from birdsite.api.models import ApiToken
from birdsite.photos.models import BirdAnswer, ClassificationJob, Prediction
from birdsite.photos.payloads import job_answer, prediction_payload
from birdsite.sightings.models import Sighting
from birdsite.sightings.selectors import STATUSES

# --- Tokens --------------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(
        max_length=100, required=False, default="API token", help_text='Tells your tokens apart: "phone".'
    )


class TokenCreatedSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once. Send it as `Authorization: Token <token>`.")
    id = serializers.IntegerField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()


class ApiTokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text="Whether this request was made with it.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "current"]

    def get_current(self, token: ApiToken) -> bool:
        auth = getattr(self.context.get("request"), "auth", None)
        return isinstance(auth, ApiToken) and auth.pk == token.pk


# --- Classifications -----------------------------------------------------------------------------


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


# --- Sightings and species -----------------------------------------------------------------------


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


class SpeciesQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=100, help_text="Part of a common or scientific name.")
    limit = serializers.IntegerField(min_value=1, max_value=50, required=False, default=20)


class SpeciesSerializer(serializers.Serializer):
    key = serializers.CharField()
    common_name = serializers.CharField()
    scientific_name = serializers.CharField()
    ebird_code = serializers.CharField(allow_null=True)
    wikipedia_url = serializers.CharField(allow_blank=True)
