"""How a batch's files read on the page: plain reasons (no decoder's words) and the model's confidence.

The services store each refusal's message as the check wrote it; some carry a library's own words
("broken data stream when reading image file"). People see one plain sentence per refusal code here.
"""

from __future__ import annotations

import re
from typing import Any

from birdsite.confidence import describe
from birdsite.photos.models import BirdAnswer, ClassificationJob, Prediction
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


def _best_bird(job_ids: list[int]) -> tuple[dict[int, Prediction], dict[int, BirdAnswer]]:
    """Each finished job's top-1 and open-set answer (if stored) of its current model version's best bird,
    in three queries."""
    versions = dict(ClassificationJob.objects.filter(pk__in=job_ids).values_list("pk", "model_version"))
    tops = Prediction.objects.filter(job_id__in=job_ids, bird=0, rank=1)
    answers = BirdAnswer.objects.filter(job_id__in=job_ids, bird=0)
    return (
        {p.job_id: p for p in tops if versions.get(p.job_id) == p.model_version},
        {a.job_id: a for a in answers if versions.get(a.job_id) == a.model_version},
    )


def items_for_page(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``batches.selectors.batch_items`` rows with plain reasons and the top-1's confidence; a genus or
    family answer shows that taxon, "a species the model may not know" its closest known taxa."""
    tops, answers = _best_bird([it["job_id"] for it in items if it.get("job_id")])
    rows = []
    for it in items:
        row = dict(it, reason=plain_reason(it.get("code") or "", it.get("reason") or ""))
        top, answer = tops.get(it.get("job_id")), answers.get(it.get("job_id"))
        kind = answer.kind if answer is not None else ""
        if kind == BirdAnswer.Kind.UNKNOWN:
            named = it.get("species")  # the user may have named it since
            row.update(answer_kind=kind, species=named or UNKNOWN_TEXT.capitalize())
            row["closest"] = ", ".join(c["common_name"] for c in answer.closest)
        elif (
            kind == BirdAnswer.Kind.HIGHER_TAXON
            and top is not None
            and answer.label != top.label
            and it.get("species") in ("", top.common_name)  # the user's own name wins over the model's
        ):
            row.update(describe(answer.confidence, answer.label), confidence=answer.confidence)
            row.update(answer_kind=kind, species=answer.common_name, taxon_rank=answer.rank)
        elif top is not None and it.get("species"):
            row.update(describe(top.confidence, top.label), confidence=top.confidence)
        rows.append(row)
    return rows
