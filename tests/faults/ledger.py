"""What became of every accepted upload, read straight from the database (works for any test database).

``lost``: accepted but no row, or never finished. ``duplicated``: a job with more than one stored result
(more than one model version's predictions, or more than five predictions, or more than one sighting).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import psycopg

from tests.live import ARTIFACTS

ROWS = """
SELECT j.id, j.status, j.error, j.attempts,
       (SELECT count(*) FROM photos_prediction p WHERE p.job_id = j.id),
       (SELECT count(DISTINCT model_version) FROM photos_prediction p WHERE p.job_id = j.id),
       (SELECT count(*) FROM sightings_sighting s WHERE s.job_id = j.id)
FROM photos_classificationjob j
"""


@dataclass
class Figures:
    fault: str
    accepted: int
    refused: int
    succeeded: int
    failed_with_reason: int
    unfinished: int
    lost: int
    duplicated: int
    retried: int  # claimed more than once (a dead or cut-off claim was taken again), still one result

    def write(self) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"faults-{self.fault}.json"
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        print(f"\nFAULT FIGURES {json.dumps(asdict(self))}")


def rows(db_url: str) -> dict[int, tuple]:
    with psycopg.connect(db_url, connect_timeout=10) as conn:
        return {row[0]: row for row in conn.execute(ROWS).fetchall()}


def wait_all_finished(db_url: str, timeout: float) -> dict[int, tuple]:
    """Every job row in the database finished (succeeded or failed), or the rows at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            current = rows(db_url)
        except psycopg.OperationalError:
            current = None
        if current is not None:
            if all(row[1] in ("succeeded", "failed") for row in current.values()):
                return current
            if time.monotonic() > deadline:
                return current
        elif time.monotonic() > deadline:
            raise AssertionError("the database never came back")
        time.sleep(0.1)


def wait_finished(db_url: str, job_ids: Iterable[int], timeout: float) -> bool:
    wanted = list(job_ids)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = rows(db_url)
        if all(current[i][1] in ("succeeded", "failed") for i in wanted):
            return True
        time.sleep(0.1)
    return False


def figures(fault: str, db_url: str, accepted: Iterable[int], refused: int, timeout: float) -> Figures:
    accepted = list(accepted)
    current = wait_all_finished(db_url, timeout)
    finished = [current[i] for i in accepted if i in current and current[i][1] in ("succeeded", "failed")]
    result = Figures(
        fault=fault,
        accepted=len(accepted),
        refused=refused,
        succeeded=sum(row[1] == "succeeded" for row in finished),
        failed_with_reason=sum(row[1] == "failed" and bool(row[2].strip()) for row in finished),
        unfinished=sum(row[1] not in ("succeeded", "failed") for row in current.values()),
        lost=len(accepted) - len(finished),
        duplicated=sum(row[4] > 5 or row[5] > 1 or row[6] > 1 for row in current.values()),
        retried=sum(row[3] > 1 for row in current.values()),
    )
    result.write()
    return result


def assert_nothing_lost(result: Figures) -> None:
    assert result.accepted > 0
    assert result.lost == 0, result
    assert result.unfinished == 0, result
    assert result.duplicated == 0, result
    assert result.succeeded + result.failed_with_reason == result.accepted, result
