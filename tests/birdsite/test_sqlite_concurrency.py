"""The embedded default under concurrent load: real processes and threads on one SQLite file
(tests/birdsite/sqlite_load.py), the throttle's database cache and the workers' claims included."""

from __future__ import annotations

from tests.birdsite.sqlite_load import measure


def test_under_load_sqlite_admits_exactly_the_limit_claims_every_job_once_and_never_says_locked(
    tmp_path,
) -> None:
    # Until every uploader was refused 3 times (at most 60 s): the whole budget was asked for.
    figures = measure(tmp_path, seconds=60, uploaders=8, workers=2, jobs=60, limit=40, refusals=3)
    seen = {k: figures[k] for k in ("admitted", "locked", "errors", "cache_unavailable")}
    seen["claimed_more_than_once"] = figures["claimed_more_than_once"]
    seen["unfinished"] = figures["jobs"] - figures["succeeded"]
    expected = {"admitted": 40, "locked": 0, "errors": 0, "cache_unavailable": 0}
    assert seen == {**expected, "claimed_more_than_once": 0, "unfinished": 0}, figures
    assert figures["throttled"] > 0 and 0 < figures["retry_after_max"] <= 3600
