"""How a batch's files read on the page: one row per bird found, plain outcomes and reasons (no decoder's
words, no "succeeded" for a photo without a bird) and each bird's own confidence.

The services store each refusal's message as the check wrote it; some carry a library's own words
("broken data stream when reading image file"). People see one plain sentence per refusal code here.
"""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse

from birdsite.confidence import describe
from birdsite.photos.models import BirdAnswer, ClassificationJob, Prediction
from birdsite.sightings.models import Sighting
from classifier.result import UNKNOWN_NAME as UNKNOWN_TEXT

PLAIN_REASONS = {
    "empty": "The file is empty.",
    "corrupt": "The image is damaged and cannot be read.",
    "not_an_image": "This file is not a photo we can read.",
    "unsupported_format": "This kind of image is not supported (use JPEG, PNG, WebP, GIF or BMP).",
    "too_many_pixels": "The image is too big (too many pixels).",
    "too_large": "The file is too large.",
}
DAMAGED = PLAIN_REASONS["corrupt"]
# What image decoders say: shown to people as "damaged", the details stay in the log.
LIBRARY_WORDS = re.compile(
    r"data stream|truncated|cannot identify image|decoder|decompress|not a readable image|"
    r"unrecognized|invalid (image|jpeg|png)|premature end|EOF|Errno",
    re.IGNORECASE,
)


def plain_reason(code: str, reason: str) -> str:
    """One plain sentence for a refused or failed file."""
    if code in PLAIN_REASONS and code != "too_large":  # "too large" keeps its sizes
        return PLAIN_REASONS[code]
    if reason and LIBRARY_WORDS.search(reason):
        return DAMAGED
    return reason


# A file's outcome as people read it in the table (``data-outcome`` keeps the stable word).
OUTCOME_WORDS = {
    "queued": "waiting",
    "running": "identifying",
    "succeeded": "identified",
    "no_bird": "no bird",
    "failed": "failed",
    "cancelled": "cancelled",
    "duplicate": "already seen",
    "refused": "refused",
    "removed": "deleted since",
}
NO_BIRD = "No bird found in this photo."

Key = tuple[int, int]  # (job id, bird)


def _bird_answers(job_ids: list[int]) -> tuple[dict[Key, Prediction], dict[Key, BirdAnswer]]:
    """Every bird's top-1 and open-set answer of its job's current model version, in three queries."""
    versions = dict(ClassificationJob.objects.filter(pk__in=job_ids).values_list("pk", "model_version"))
    tops = Prediction.objects.filter(job_id__in=job_ids, rank=1)
    answers = BirdAnswer.objects.filter(job_id__in=job_ids)
    return (
        {(p.job_id, p.bird): p for p in tops if versions.get(p.job_id) == p.model_version},
        {(a.job_id, a.bird): a for a in answers if versions.get(a.job_id) == a.model_version},
    )


def _sightings(job_ids: list[int]) -> dict[int, list[Sighting]]:
    found: dict[int, list[Sighting]] = {}
    for sighting in Sighting.objects.filter(job_id__in=job_ids).order_by("job_id", "bird"):
        found.setdefault(sighting.job_id, []).append(sighting)
    return found


def _with_answer(row: dict[str, Any], top: Prediction | None, answer: BirdAnswer | None) -> dict[str, Any]:
    """A genus or family answer shows that taxon, "a species the model may not know" its closest known
    taxa, a species its top-1's confidence; the user's own name wins over the model's."""
    kind = answer.kind if answer is not None else ""
    named = row.get("species")
    if kind == BirdAnswer.Kind.UNKNOWN:
        row.update(answer_kind=kind, species=named or UNKNOWN_TEXT.capitalize())
        row["closest"] = ", ".join(c["common_name"] for c in answer.closest)
    elif (
        kind == BirdAnswer.Kind.HIGHER_TAXON
        and top is not None
        and answer.label != top.label
        and named in ("", top.common_name)
    ):
        row.update(describe(answer.confidence, answer.label), confidence=answer.confidence)
        row.update(answer_kind=kind, species=answer.common_name, taxon_rank=answer.rank)
    elif top is not None and named:
        row.update(describe(top.confidence, top.label), confidence=top.confidence)
    return row


def items_for_page(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``batches.selectors.batch_items`` rows as the page shows them: a photo with two birds is two rows
    (each with its own sighting, name and confidence), a photo with none says so."""
    job_ids = [it["job_id"] for it in items if it.get("job_id")]
    tops, answers = _bird_answers(job_ids)
    sightings = _sightings(job_ids)
    rows = []
    for it in items:
        outcome = it["outcome"]
        birds = sightings.get(it.get("job_id"), []) if outcome == "succeeded" else []
        if outcome == "succeeded" and not birds:
            outcome = "no_bird"
        reason = (
            NO_BIRD if outcome == "no_bird" else plain_reason(it.get("code") or "", it.get("reason") or "")
        )
        row = dict(it, outcome=outcome, outcome_text=OUTCOME_WORDS.get(outcome, outcome), reason=reason)
        if not birds:
            rows.append(
                _with_answer(row, tops.get((row.get("job_id"), 0)), answers.get((row.get("job_id"), 0)))
            )
            continue
        for sighting in birds:
            key = (sighting.job_id, sighting.bird)
            bird_row = dict(
                row,
                bird=sighting.bird,
                birds=len(birds),
                species=sighting.common_name,
                sighting_url=reverse("sightings:detail", args=[sighting.pk]),
            )
            if len(birds) > 1:
                bird_row["bird_text"] = f"bird {sighting.bird + 1} of {len(birds)}"
            rows.append(_with_answer(bird_row, tops.get(key), answers.get(key)))
    return rows
