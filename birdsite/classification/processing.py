"""One path from claimed jobs to stored results, for micro-batched single uploads and batch chunks alike.

claim many (one conditional UPDATE) → read the stored photos → one ``predict`` over all of them, the
lease renewed meanwhile → finish many (``results.jobs_finish``, fenced by each claim). A photo that cannot
be read, or that the model cannot decode, fails alone with a reason people can read; the others go on.
Running it twice for the same jobs stores one result per job.

A worker whose model cannot be loaded (``ModelUnavailable``) fails nothing: that is the server's fault,
not the photo's. Its jobs are given back (PENDING, the claim released) and the task comes back after a
growing pause (``unserved_retry_in``), by when a worker that can serve them will take them.
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
CLASSIFIER_FAILED = "The classifier failed on this photo ({})."
# Seconds before a task whose jobs were given back for want of a model comes back: 5, 10, 20, 40, 60, 60…
UNSERVED_RETRY_FIRST, UNSERVED_RETRY_MAX = 5.0, 60.0


@dataclass
class Outcome:
    """What one call did with the jobs it was given (and those it took along)."""

    succeeded: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    busy: list[int] = field(default_factory=list)  # held by another claim: look again after retry_in
    released: list[int] = field(default_factory=list)  # given back (PENDING): no model here to serve them
    done: list[int] = field(default_factory=list)  # finished before, or gone: nothing to do
    states: dict[int, str] = field(default_factory=dict)  # what each ``done`` job is ("missing": gone)
    retry_in: float | None = None
    batch_ids: set[int] = field(default_factory=set)  # batches whose jobs finished here

    def status_of(self, job_id: int) -> str:
        if job_id in self.succeeded:
            return Status.SUCCEEDED
        if job_id in self.failed:
            return Status.FAILED
        if job_id in self.released:
            return Status.PENDING
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
        unserved = _predict(jobs, taken, data, predict, succeeded, failed)
        finished = results.jobs_finish(jobs=jobs, succeeded=succeeded, failed=failed)
        outcome.released = claims.jobs_release({j: taken[j] for j in unserved})
    for job_id in outcome.released:
        if jobs[job_id].batch_id is None:
            push.job_changed(job_id)  # the open page says "waiting" again, not "identifying"
    outcome.succeeded, outcome.failed = finished.succeeded, finished.failed
    ended = {*finished.succeeded, *finished.failed, *outcome.released}
    outcome.done.extend(sorted(set(taken) - ended))  # claim lost
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
) -> list[int]:
    """Fill ``succeeded`` and ``failed``; returns the jobs no model here could serve (to give back)."""
    ids = list(data)
    if not ids:
        return []
    try:
        answers = predict([data[j] for j in ids], [jobs[j].region for j in ids])
    except ModelUnavailable as exc:
        log.error("jobs %s given back to wait for a worker that can serve them: %s", ids, exc)
        return ids
    except Exception as exc:
        log.exception("jobs %s: the classifier failed", ids)
        failed.update({j: (taken[j], CLASSIFIER_FAILED.format(type(exc).__name__)) for j in ids})
        return []
    for job_id, answer in zip(ids, answers, strict=True):
        if isinstance(answer, ImageUnreadable):
            failed[job_id] = (taken[job_id], UNREADABLE.format(answer))
        elif isinstance(answer, BaseException):
            log.error("job %s: the classifier failed: %r", job_id, answer)
            failed[job_id] = (taken[job_id], CLASSIFIER_FAILED.format(type(answer).__name__))
        else:
            succeeded[job_id] = (taken[job_id], answer)
    return []


def unserved_retry_in(retries: int) -> float:
    """How long a task whose jobs were given back for want of a model waits before it comes back."""
    return min(UNSERVED_RETRY_MAX, UNSERVED_RETRY_FIRST * 2 ** min(max(retries, 0), 8))


def upload_take_along() -> int:
    """How many other waiting uploads a single upload's task may run with (``BIRDSITE_BATCH_SIZE``)."""
    return max(0, settings.BIRDSITE_BATCH_SIZE - 1)
