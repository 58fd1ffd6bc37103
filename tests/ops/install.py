"""``python -m tests.ops.install populate|fingerprint``: a whole install in a subprocess (backup tests).

Runs with ``birdsite.settings`` and whatever DATABASE_URL, MEDIA_ROOT and MODEL_STORE_DIR the caller set, so
the same code fills and reads a SQLite or a PostgreSQL install. Prints one JSON object.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "birdsite.settings"
USERNAME, PASSWORD = "restorer", "correct-horse-battery"
EXCLUDED = {"contenttypes.contenttype", "auth.permission", "ops.workerheartbeat"}


def _result_naming(index: int):
    from dataclasses import replace

    from tests.fakes import SPECIES, fake_result, with_predictions

    result = fake_result(top_confidence=0.5 + (index % 5) / 10)
    order = [SPECIES[(index + k) % len(SPECIES)] for k in range(len(result.predictions))]
    renamed = tuple(
        replace(prediction, label=key, ebird_code=key, common_name=common, scientific_name=scientific)
        for prediction, (key, common, scientific) in zip(result.predictions, order, strict=True)
    )
    return with_predictions(result, renamed)


def _photos(count: int, shared: bool) -> list[bytes]:
    from tests.batches.helpers import photo

    if not shared:
        return [photo(n, (160, 120)) for n in range(count)]
    root = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "birds" / "cub100"
    files = sorted(root.glob("*/*.jpg"))[:count]
    if len(files) < count:
        raise SystemExit(f"needs {count} photos under {root}, found {len(files)}")
    return [f.read_bytes() for f in files]


def populate(count: int, shared: bool) -> dict:
    from django.conf import settings
    from django.core.management import call_command

    from birdsite.registry.models import ModelVersion
    from tests.factories import UserFactory
    from tests.fakes import FakeClassifier
    from tests.helpers import finished_job
    from workers import app

    call_command("migrate", interactive=False, verbosity=0)
    owner = UserFactory(username=USERNAME, password=PASSWORD)
    UserFactory(username="other-birder")
    jobs = []
    for index, data in enumerate(_photos(count, shared)):
        jobs.append(
            finished_job(owner, FakeClassifier(model_version="test-1", result=_result_naming(index)), data)
        )
    store = Path(settings.MODEL_STORE_DIR) / "2099.01.01-candidate"
    store.mkdir(parents=True, exist_ok=True)
    (store / "config.json").write_text('{"version": "2099.01.01-candidate"}')
    (store / "head.weights.h5").write_bytes(os.urandom(4096))
    ModelVersion.objects.create(
        version="2099.01.01-candidate", directory=str(store.resolve()), status=ModelVersion.Status.CANDIDATE
    )
    app.control.purge()  # the uploads were queued; this install's queue is nobody's
    first = jobs[0].photo
    return {
        "username": USERNAME,
        "password": PASSWORD,
        "sighting_names": sorted({j.sighting.common_name for j in jobs}),
        "thumbnail": {"id": first.pk, "sha256": hashlib.sha256(first.thumbnail.read()).hexdigest()},
    }


def _tree(root: Path) -> dict[str, str]:
    if not root.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def fingerprint() -> dict:
    """Every row (natural keys, pk order) hashed per model, and every file hashed; paths made relative."""
    from django.apps import apps
    from django.conf import settings
    from django.core import serializers

    from birdsite.ops import serialization

    # Timestamps to the microsecond (Django's own json would hide a backup that cut them to milliseconds).
    serializers.register_serializer(serialization.FORMAT, "birdsite.ops.serialization")
    rows, counts = {}, {}
    for model in apps.get_models():
        if model._meta.label_lower in EXCLUDED or not model._meta.managed:
            continue
        objects = json.loads(
            serializers.serialize(
                serialization.FORMAT, model._base_manager.order_by("pk"), use_natural_foreign_keys=True
            )
        )
        for obj in objects:
            directory = obj["fields"].get("directory")
            if model._meta.label_lower == "registry.modelversion" and directory:
                obj["fields"]["directory"] = os.path.relpath(directory, settings.MODEL_STORE_DIR)
        counts[model._meta.label] = len(objects)
        rows[model._meta.label] = hashlib.sha256(json.dumps(objects, sort_keys=True).encode()).hexdigest()
    return {
        "rows": rows,
        "counts": counts,
        "media": _tree(Path(settings.MEDIA_ROOT)),
        "models": _tree(Path(settings.MODEL_STORE_DIR)),
    }


if __name__ == "__main__":
    django.setup()
    command = sys.argv[1]
    if command == "populate":
        out = populate(int(sys.argv[2]), shared="--shared" in sys.argv)
    elif command == "fingerprint":
        out = fingerprint()
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out))
