"""Staff pages read as text: the dashboard names taxa instead of printing their codes, and a model's page
shows its metrics as labelled values and tables instead of a JSON dump (issue 14)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from birdsite.photos.models import Prediction
from birdsite.registry.models import ModelVersion
from birdsite.review import services
from birdsite.sightings.catalog import display_name
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db


def test_a_higher_taxon_key_reads_as_a_name_never_as_its_code() -> None:
    assert display_name("genus-zanda") == "Zanda (genus)"
    assert display_name("family-corvidae") == "Corvidae (family)"
    assert display_name("norcar") == "Northern Cardinal"  # from the catalog
    assert display_name("genus-zanda", "Black cockatoos") == "Black cockatoos"  # a stored name wins


def test_the_dashboard_names_what_the_model_said_instead_of_its_code(staff_client, owner, staff) -> None:
    job = finished_job(owner)
    Prediction.objects.filter(job=job, bird=0, rank=1).update(label="genus-zanda", common_name="")
    services.review_decide(job=job, reviewer=staff, verdict="corrected", label="norcar")
    page = staff_client.get(reverse("review:dashboard")).content.decode()
    assert "Zanda (genus)" in page and ">genus-zanda" not in page and "Northern Cardinal" in page


def test_a_models_page_shows_its_metrics_as_labelled_values_and_tables(staff_client) -> None:
    version = ModelVersion.objects.create(
        version="rt9",
        status=ModelVersion.Status.CANDIDATE,
        directory="/models/rt9",
        metrics={"held_out": {"cub100": {"n": 100, "top1": 0.8123, "top5": 0.95}}, "epochs": 12},
        provenance={"datasets": ["/data/a", "/data/b"], "options": {"learning_rate": 0.001, "tta": True}},
    )
    page = staff_client.get(reverse("registry:detail", args=[version.pk])).content.decode()
    metrics = page.split("data-metrics")[1].split("<details>")[0]
    assert "<table" in metrics and ">cub100<" in metrics and ">0.812<" in metrics and "top-1" in metrics
    assert "<dt>Epochs</dt><dd>12</dd>" in metrics and "{" not in metrics
    provenance = page.split("data-provenance")[1].split("<details>")[0]
    assert "/data/a, /data/b" in provenance and "<dt>Learning rate</dt><dd>0.001</dd>" in provenance
    assert "<dt>Tta</dt><dd>yes</dd>" in provenance
