"""``{% load history %}``: one line of the "Recent" list — what the photo shows and how sure the model is."""

from __future__ import annotations

from typing import Any

from django import template

from birdsite.photos.models import ClassificationJob
from birdsite.photos.selectors import current_predictions, job_verdict
from birdsite.sightings import catalog

register = template.Library()


@register.simple_tag
def recent_answer(job: ClassificationJob) -> dict[str, Any]:
    """``name`` (the owner's name for the sighting when there is one, else the model's best guess),
    the model's ``confidence`` in that name (None if it never said it), its ``label`` and the ``verdict``."""
    predictions = current_predictions(job) if job.is_finished else []
    verdict = job_verdict(job, predictions)
    sighting = job.sighting if verdict in ("sure", "unsure") else None
    if verdict in ("pending", "running", "failed"):
        return {"name": "", "confidence": None, "label": "", "verdict": verdict}
    if sighting is not None and sighting.species_key:
        said = next((p for p in predictions if p.label == sighting.species_key), None)
        confidence = said.confidence if said else None
        return {
            "name": sighting.common_name,
            "confidence": confidence,
            "label": sighting.species_key,
            "verdict": verdict,
        }
    if verdict == "no_bird":
        return {"name": "No bird found", "confidence": None, "label": "", "verdict": verdict}
    top = predictions[0]
    return {"name": top.common_name, "confidence": top.confidence, "label": top.label, "verdict": verdict}


@register.filter
def species_name(key: str, name: str = "") -> str:
    """A catalog key as people read it (staff pages too): never a bare code such as "genus-zanda"."""
    return catalog.display_name(key or "", name or "") if key else ""
