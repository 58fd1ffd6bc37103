"""Naming a sighting from the whole eBird taxonomy: search time per query (issue 13: < 50 ms server time).

    .venv/bin/python bench/species_search.py [--repeat 20]

Measured in one process, one run: the catalog's ``search`` (what the rename box and the review queue's
species field call, through ``birdsite.sightings.catalog.species_search``) and the species-search view
through Django's test client (URL routing, login, JSON encoding: the server time of one keystroke), against
a **baseline** of the obvious code (fold and lower every name of every species for each query, then sort),
over prefixes as a person types them, whole names, scientific names, eBird codes and misses. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine, summary  # noqa: E402

# What people type, keystroke by keystroke for two names, plus whole names, codes and misses.
TYPED = [
    *("american crow"[:n] for n in range(1, 14)),
    *("eurasian blackbird"[:n] for n in range(1, 19)),
    "chuckwill",
    "turdus merula",
    "Setophaga",
    "amecro",
    "grey heron",
    "Tōki",
    "warbler",
    "zzzz",
    "black-capped",
]


def baseline(records: list, query: str, limit: int = 20) -> list:
    """The obvious search: fold every name again for every query, keep those holding it, sort."""

    def fold(text: str) -> str:
        return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()

    q = fold(query).strip()
    hits = []
    for record in records:
        names = (fold(record.common_name), fold(record.scientific_name), (record.ebird_code or "").lower())
        if any(q in name for name in names):
            rank = 0 if names[0] == q else 1 if names[0].startswith(q) else 2
            hits.append((rank, record.common_name, record))
    hits.sort(key=lambda h: h[:2])
    return [h[2] for h in hits[:limit]]


def time_each(run, queries: list[str], repeat: int) -> dict:
    latencies = []
    for _ in range(repeat):
        for query in queries:
            started = time.perf_counter()
            run(query)
            latencies.append(time.perf_counter() - started)
    result = summary(latencies, 1)
    result["max_ms"] = round(max(latencies) * 1000, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="times through the query list")
    args = parser.parse_args()

    # A throwaway SQLite database with one logged-in user, as ``make run`` has by default.
    var = Path(tempfile.mkdtemp(prefix="bench-search-"))
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ.update(VAR_DIR=str(var), BIRDSITE_ENV_FILE=str(var / "no.env"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "birdsite.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from birdsite.sightings import catalog as web_catalog

    started = time.perf_counter()
    full = web_catalog.get_catalog()
    load_s = time.perf_counter() - started
    records = list(full)
    names = ("american crow", "eurasian blackbird")
    found = {q: [r.common_name for r in full.search(q, limit=3)] for q in names}

    out: dict = {"machine": machine(), "species": len(records), "catalog_load_s": round(load_s, 2)}
    out["first_hits"] = found
    out["baseline"] = time_each(lambda q: baseline(records, q), TYPED, max(1, args.repeat // 4))
    out["catalog_search"] = time_each(lambda q: web_catalog.species_search(q), TYPED, args.repeat)

    # The view as a keystroke reaches it.
    from django.core.management import call_command
    from django.urls import reverse

    setup_test_environment()
    call_command("migrate", verbosity=0, interactive=False)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench", password="bench-password-123")
    client = Client()
    client.force_login(user)
    url = reverse("sightings:species-search")
    assert client.get(url, {"q": "american crow"}).status_code == 200
    out["view"] = time_each(lambda q: client.get(url, {"q": q}), TYPED, args.repeat)
    out["catalog_search_x_baseline"] = round(out["baseline"]["p50_ms"] / out["catalog_search"]["p50_ms"], 1)
    out["view_p95_under_50ms"] = out["view"]["p95_ms"] < 50
    out["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=2))
    shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
