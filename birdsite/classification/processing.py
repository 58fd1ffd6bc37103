"""One path from claimed jobs to stored results, for micro-batched single uploads and batch chunks alike.

claim many (one conditional UPDATE) → read the stored photos → one ``predict`` over all of them, the
lease renewed meanwhile → finish many (``results.jobs_finish``, fenced by each claim). A photo that cannot
be read, or that the model cannot decode, fails alone with a reason people can read; the others go on.
Running it twice for the same jobs stores one result per job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from birdsite.classification import claims, results
from birdsite.classification.errors import ImageUnreadable, ModelUnavailable
from birdsite.photos import push
from birdsite.photos.models import ClassificationJob

log = logging.getLogger(__name__)
Status = ClassificationJob.Status


# The model over many photos: (bytes of each, a user region or None for each) → a result dict, or the
# exception for that photo (``ImageUnreadable`` or any other), in order. Raises ``ModelUnavailable``.
Predict = Callable[[Sequence[bytes], Sequence[list[float] | None]], list[Any]]

UNREADABLE = "This file could not be read as an image: {}"
NO_FILE = "The stored photo could not be read ({})."
NO_MODEL = "The model is not available on this server right now."
CLASSIFIER_FAILED = "The classifier failed on this photo ({})."


@dataclass
class Outcome:
    """What one call did with the jobs it was given (and those it took along)."""

    succeeded: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    busy: list[int] = field(default_factory=list)  # held by another claim: look again after retry_in
    done: list[int] = field(default_factory=list)  # finished before, or gone: nothing to do
    states: dict[int, str] = field(default_factory=dict)  # what each ``done`` job is ("missing": gone)
    retry_in: float | None = None
    batch_ids: set[int] = field(default_factory=set)  # batches whose jobs finished here

    def status_of(self, job_id: int) -> str:
        if job_id in self.succeeded:
            return Status.SUCCEEDED
        if job_id in self.failed:
            return Status.FAILED
        return "busy" if job_id in self.busy else self.states.get(job_id, "done")


def _take_along(taken: dict[int, int], *, limit: int, wait_seconds: float) -> None:
    """Add to ``taken`` the single uploads waiting now (PENDING only), up to ``limit`` in all."""
    deadline = time.monotonic() + wait_seconds
    while len(taken) < limit:
        waiting = claims.pending_uploads(exclude=list(taken), limit=limit - len(taken))
        taken.update(claims.jobs_claim(job_ids=waiting, pending_only=True).taken)
        if len(taken) >= limit or time.monotonic() >= deadline:
            return
        time.sleep(min(0.002, max(0.0, deadline - time.monotonic())))


def jobs_process(
    *,
    job_ids: Sequence[int],
    predict: Predict,
    token: str = "",
    take_along: int = 0,
    wait_seconds: float = 0.0,
) -> Outcome:
    """Claim ``job_ids`` (plus up to ``take_along`` waiting uploads), classify them in one pass, finish."""
    claimed = claims.jobs_claim(job_ids=job_ids, token=token)
    outcome = Outcome(busy=claimed.busy, done=claimed.done, states=claimed.states, retry_in=claimed.retry_in)
    taken = dict(claimed.taken)
    if not taken:
        return outcome
    asked = list(taken)
    if take_along:
        _take_along(taken, limit=len(taken) + take_along, wait_seconds=wait_seconds)
    jobs = ClassificationJob.objects.select_related("photo").in_bulk(list(taken))
    for job_id in asked:
        if jobs[job_id].batch_id is None:
            push.job_changed(job_id)  # "running" on the open page; taken-along jobs answer within the pass
    succeeded: dict[int, tuple[int, results.Result]] = {}
    failed: dict[int, tuple[int, str]] = {}
    with claims.Lease(taken):
        data: dict[int, bytes] = {}
        for job_id, attempt in taken.items():
            try:
                with jobs[job_id].photo.image.open("rb") as fh:
                    data[job_id] = fh.read()
            except OSError as exc:
                failed[job_id] = (attempt, NO_FILE.format(exc))
        _predict(jobs, taken, data, predict, succeeded, failed)
        finished = results.jobs_finish(jobs=jobs, succeeded=succeeded, failed=failed)
    outcome.succeeded, outcome.failed = finished.succeeded, finished.failed
    outcome.done.extend(sorted(set(taken) - set(finished.succeeded) - set(finished.failed)))  # claim lost
    outcome.batch_ids = {jobs[j].batch_id for j in taken if jobs[j].batch_id is not None}
    if len(taken) > 1:
        log.info("jobs %s classified in one pass", sorted(taken))
    return outcome


def _predict(
    jobs: dict[int, ClassificationJob],
    taken: dict[int, int],
    data: dict[int, bytes],
    predict: Predict,
    succeeded: dict[int, tuple[int, results.Result]],
    failed: dict[int, tuple[int, str]],
) -> None:
    ids = list(data)
    if not ids:
        return
    try:
        answers = predict([data[j] for j in ids], [jobs[j].region for j in ids])
    except ModelUnavailable:
        log.exception("jobs %s: the model could not be loaded", ids)
        failed.update({j: (taken[j], NO_MODEL) for j in ids})
        return
    except Exception as exc:
        log.exception("jobs %s: the classifier failed", ids)
        failed.update({j: (taken[j], CLASSIFIER_FAILED.format(type(exc).__name__)) for j in ids})
        return
    for job_id, answer in zip(ids, answers, strict=True):
        if isinstance(answer, ImageUnreadable):
            failed[job_id] = (taken[job_id], UNREADABLE.format(answer))
        elif isinstance(answer, BaseException):
            log.error("job %s: the classifier failed: %r", job_id, answer)
            failed[job_id] = (taken[job_id], CLASSIFIER_FAILED.format(type(answer).__name__))
        else:
            succeeded[job_id] = (taken[job_id], answer)


def upload_take_along() -> int:
    """How many other waiting uploads a single upload's task may run with (``BIRDSITE_BATCH_SIZE``)."""
    return max(0, settings.BIRDSITE_BATCH_SIZE - 1)
