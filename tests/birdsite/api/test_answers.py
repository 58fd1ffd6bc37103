"""Issue 17 in the API: each bird (and the classification, for its best bird) carries an ``answer`` whose
``kind`` is a stable, documented enum: species, higher_taxon or unknown."""

from __future__ import annotations

import pytest
from django.urls import reverse

from birdsite.photos.models import BirdAnswer
from classifier.result import AnswerKind
from tests.answers import UNKNOWN_TEXT, result_with
from tests.fakes import FakeClassifier
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db
KINDS = ["species", "higher_taxon", "unknown"]


def detail(api, job) -> dict:
    response = api.get(reverse("api:classification-detail", args=[job.pk]))
    assert response.status_code == 200
    return response.json()


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in node:
        return resolve(schema, node["allOf"][0])
    return node


def test_the_answer_kind_is_a_documented_stable_enum(anon_api) -> None:
    schema = anon_api.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    classification = resolve(schema, schema["components"]["schemas"]["Classification"])
    answer = resolve(schema, classification["properties"]["answer"])
    kind = resolve(schema, answer["properties"]["kind"])
    assert kind["enum"] == KINDS
    bird = resolve(schema, schema["components"]["schemas"]["Bird"])
    assert resolve(schema, bird["properties"]["answer"]) == answer
    closest = resolve(schema, answer["properties"]["closest"]["items"])
    assert {"label", "common_name", "scientific_name", "confidence"} <= set(closest["properties"])
    assert BirdAnswer.Kind.values == KINDS == [k.value for k in AnswerKind]  # the classifier's own enum


def test_an_unknown_species_is_said_so_with_the_closest_known_taxa(owner_api, owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("unknown")))
    body = detail(owner_api, job)
    answer = body["answer"]
    assert (answer["kind"], answer["common_name"], answer["label"], answer["rank"]) == (
        "unknown",
        UNKNOWN_TEXT,
        None,
        None,
    )
    assert answer["kind_text"] == "A species the model may not know"
    assert (answer["confidence"], answer["confidence_text"], answer["known_score"]) == (
        0.12,
        "12\u00a0%",
        -3.5,
    )
    assert [c["label"] for c in answer["closest"]] == ["amegfi", "houfin", "pingro"]
    assert answer["closest"][0]["common_name"] == "American Goldfinch"
    assert body["birds"][0]["answer"] == answer
    assert body["predictions"][0]["label"] == "amegfi"  # the ranked list stays as it was


def test_a_genus_answer_names_the_genus(owner_api, owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("higher_taxon", top_confidence=0.4)))
    answer = detail(owner_api, job)["answer"]
    assert (answer["kind"], answer["rank"], answer["common_name"], answer["scientific_name"]) == (
        "higher_taxon",
        "genus",
        "Goldfinches and siskins",
        "Spinus",
    )
    assert answer["closest"] == []


def test_an_older_result_answers_its_top_species(owner_api, owner) -> None:
    job = finished_job(owner)
    BirdAnswer.objects.filter(job=job).delete()  # as a job stored before open-set answers has none
    answer = detail(owner_api, job)["answer"]
    assert (answer["kind"], answer["label"], answer["known_score"]) == ("species", "amegfi", None)


def test_a_job_not_finished_has_no_answer_yet(owner_api, owner) -> None:
    from tests.helpers import submit

    assert detail(owner_api, submit(owner))["answer"] is None


def test_the_list_reads_every_answer_without_a_query_per_job(owner_api, owner) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def listed() -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            body = owner_api.get(reverse("api:classification-list")).json()
        return len(queries), [item["answer"]["kind"] for item in body["results"]]

    finished_job(owner, FakeClassifier(result=result_with("unknown")))
    one, kinds = listed()
    assert kinds == ["unknown"]
    for _ in range(2):
        finished_job(owner, FakeClassifier(result=result_with("unknown")))
    three, kinds = listed()
    assert kinds == ["unknown"] * 3 and three == one


def test_a_photo_with_no_bird_has_no_answer(owner_api, owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("unknown", is_bird=False)))
    body = detail(owner_api, job)
    assert body["is_bird"] is False and body["answer"] is None
    assert [b["answer"] for b in body["birds"]] == [None]
