"""The only writer of a job's outcome: its row, its ``Prediction`` and ``BirdAnswer`` rows, and when its
birds become sightings (made by ``sightings.services.sightings_create``, the one maker of them).

Every write is fenced by the claim that produced it (``claims.held``): a claim taken over by another
worker stores nothing. Predictions are never overwritten — a model version adds rows beside the older
ones — and a job that has a sighting keeps it. Bounded queries per call, whatever the number of jobs.
A result holding a number that is not finite (a damaged model answers NaN) is never stored: its job fails.
"""

from __future__ import annotations

import logging
import math
import numbers
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Case, CharField, FloatField, Value, When
from django.utils import timezone

from birdsite.classification.claims import held
from birdsite.photos import push
from birdsite.photos.models import BirdAnswer, ClassificationJob, Prediction
from birdsite.sightings.services import sightings_create
from classifier.result import Answer, AnswerKind, Bird, PhotoResult

log = logging.getLogger(__name__)
Status = ClassificationJob.Status
Result = PhotoResult  # one image's answer from Classifier.predict (classifier/result.py)
CLOSEST = 3  # closest known taxa kept with an "unknown" answer (the contract's "up to 3")
NOT_FINITE = (
    "The classifier answered with a value that is not a number for this photo, so nothing was stored "
    "(the model on this server may be damaged)."
)


@dataclass(frozen=True)
class Finished:
    """What one ``jobs_finish`` stored: the jobs it succeeded and failed (others' claims left alone)."""

    succeeded: list[int]
    failed: list[int]


def _birds(result: Result) -> tuple[Bird, ...]:
    return result.birds[: settings.MAX_BIRDS_PER_PHOTO]


def prediction_rows(job_id: int, version: str, result: Result) -> list[Prediction]:
    """Unsaved Prediction rows for one job's model output: per bird, its top-k, best first."""
    return [
        Prediction(
            job_id=job_id,
            model_version=version,
            bird=bird,
            box_x=found.box[0],
            box_y=found.box[1],
            box_w=found.box[2],
            box_h=found.box[3],
            bird_score=float(found.bird_score),
            rank=rank,
            label=p.label,
            common_name=p.common_name,
            scientific_name=p.scientific_name,
            confidence=float(p.confidence),
            wikipedia_url=p.wikipedia_url,
            ebird_code=p.ebird_code,
            learned_from=p.learned_from_text[:100],
        )
        for bird, found in enumerate(_birds(result))
        for rank, p in enumerate(found.predictions[: settings.TOP_K], start=1)
    ]


def answer_row(job_id: int, version: str, bird: int, answer: Answer) -> BirdAnswer:
    """An unsaved ``BirdAnswer`` for one bird's answer."""
    return BirdAnswer(
        job_id=job_id,
        model_version=version,
        bird=bird,
        kind=str(answer.kind),
        rank=answer.rank or "",
        label=answer.label or "",
        common_name=answer.common_name,
        scientific_name=answer.scientific_name or "",
        confidence=float(answer.confidence),
        known_score=float(answer.known_score),
        closest=[
            {
                "label": c.label,
                "common_name": c.common_name,
                "scientific_name": c.scientific_name,
                "confidence": float(c.confidence),
            }
            for c in answer.closest[:CLOSEST]
        ],
    )


def answer_rows(job_id: int, version: str, result: Result) -> list[BirdAnswer]:
    """Unsaved BirdAnswer rows for one job's model output: one per bird that passed the bird gate (a look
    at no bird answers nothing; its open-set score would call it unknown)."""
    return [
        answer_row(job_id, version, b, found.answer)
        for b, found in enumerate(_birds(result))
        if found.is_bird
    ]


def _per_job(values: dict[int, Any], field: Any) -> Case:
    return Case(*(When(pk=j, then=Value(v)) for j, v in values.items()), output_field=field)


def reason(text: str) -> str:
    return text[: settings.JOB_ERROR_MAX_CHARS]


def non_finite(value: Any, where: str = "result") -> str | None:
    """Where in a model result a number is NaN or infinite (``result.birds[0].box[1]``); None if nowhere.

    PostgreSQL keeps NaN and infinity in a float column, and every page that formats one then fails, so
    the whole result is looked at, not a list of fields a later change to the result could outgrow."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return None if math.isfinite(value) else where
    if isinstance(value, dict):
        items = ((f"{where}.{key}", item) for key, item in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{where}[{n}]", item) for n, item in enumerate(value))
    else:
        return None
    return next((found for path, item in items if (found := non_finite(item, path))), None)


def _refuse_non_finite(
    succeeded: dict[int, tuple[int, Result]], failed: dict[int, tuple[int, str]]
) -> tuple[dict[int, tuple[int, Result]], dict[int, tuple[int, str]]]:
    """The outcomes to store: a result with a number that is not finite becomes its job's failure."""
    kept, failed = {}, dict(failed)
    for job_id, (attempt, result) in succeeded.items():
        where = non_finite(result.to_dict())
        if where is None:
            kept[job_id] = (attempt, result)
        else:
            log.error(
                "job %s: %s of the model's answer is not finite; the result is not stored", job_id, where
            )
            failed[job_id] = (attempt, NOT_FINITE)
    return kept, failed


@transaction.atomic
def jobs_finish(
    *,
    jobs: dict[int, ClassificationJob],
    succeeded: dict[int, tuple[int, Result]],
    failed: dict[int, tuple[int, str]],
) -> Finished:
    """Store a set of outcomes in one transaction: ``succeeded`` job id → (attempt, model result),
    ``failed`` job id → (attempt, reason). ``jobs`` are the rows (with their photos).

    Only rows still held by the given claim change. Locks are taken in one order — job rows by id,
    ``FOR NO KEY UPDATE`` of the job table alone — so an upload inserting rows that refer to these jobs
    or to their owner never waits on a finishing chunk (and the reverse).
    """
    succeeded, failed = _refuse_non_finite(succeeded, failed)
    now = timezone.now()
    fence = held({**{j: a for j, (a, _) in succeeded.items()}, **{j: a for j, (a, _) in failed.items()}})
    locked = set(
        ClassificationJob.objects.select_for_update(no_key=True, of=("self",))
        .filter(fence, status=Status.RUNNING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    lost = (set(succeeded) | set(failed)) - locked
    for job_id in sorted(lost):
        log.warning("job %s: its claim was taken over before it finished; this result is dropped", job_id)
    by_reason: dict[str, list[int]] = {}
    for job_id, (_, text) in failed.items():
        if job_id in locked:
            by_reason.setdefault(reason(text), []).append(job_id)
    for text, ids in by_reason.items():
        ClassificationJob.objects.filter(pk__in=ids).update(
            status=Status.FAILED, error=text, progress=100, finished_at=now, lease_expires_at=None
        )
    done = sorted(j for j in succeeded if j in locked)
    if done:
        _store_successes(jobs, {j: succeeded[j][1] for j in done}, now)
    failed_ids = sorted(j for ids in by_reason.values() for j in ids)
    single = [j for j in [*done, *failed_ids] if jobs[j].batch_id is None]
    if single:
        transaction.on_commit(lambda: [push.job_changed(j) for j in single])
    return Finished(succeeded=done, failed=failed_ids)


def _store_successes(jobs: dict[int, ClassificationJob], results: dict[int, Result], now: Any) -> None:
    versions = {j: r.model_version for j, r in results.items()}
    ClassificationJob.objects.filter(pk__in=list(results)).update(
        status=Status.SUCCEEDED,
        progress=100,
        model_version=_per_job(versions, CharField()),
        is_bird=_per_job({j: r.is_bird for j, r in results.items()}, BooleanField()),
        bird_score=_per_job({j: float(r.bird_score) for j, r in results.items()}, FloatField()),
        finished_at=now,
        lease_expires_at=None,
    )
    stored: dict[int, list[Prediction]] = {}
    for p in Prediction.objects.filter(job_id__in=list(results)).order_by("bird", "rank"):
        if p.model_version == versions[p.job_id]:
            stored.setdefault(p.job_id, []).append(p)
    new: list[Prediction] = []
    answers: list[BirdAnswer] = []
    for job_id, result in results.items():
        if job_id not in stored:  # a second delivery of the same model's answer adds nothing
            stored[job_id] = prediction_rows(job_id, versions[job_id], result)
            new.extend(stored[job_id])
            answers.extend(answer_rows(job_id, versions[job_id], result))
    if new:
        Prediction.objects.bulk_create(new)
    if answers:
        BirdAnswer.objects.bulk_create(answers)
    birds: list[tuple[ClassificationJob, int, Prediction | None]] = []
    for job_id, result in results.items():
        job = jobs[job_id]
        job.status, job.progress, job.finished_at = Status.SUCCEEDED, 100, now
        job.model_version = versions[job_id]
        job.is_bird, job.bird_score = result.is_bird, float(result.bird_score)
        # A bird the model answers "a species I may not know" is not named after its closest guess:
        # its sighting waits for the user to name it from the full taxonomy (issue 17).
        unknown = {b for b, found in enumerate(_birds(result)) if found.answer.kind == AnswerKind.UNKNOWN}
        tops = {p.bird: p for p in stored[job_id] if p.rank == 1 and p.bird not in unknown}
        for bird, found in enumerate(_birds(result)):
            # Only a bird becomes a sighting: a photo with none stays a photo (its job page offers to
            # name one), so the history holds no "No bird / unnamed" entries (issue 14).
            if found.is_bird:
                birds.append((job, bird, tops.get(bird)))
    sightings_create(birds=birds)
