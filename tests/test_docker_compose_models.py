"""docker-compose.yml: where models and datasets live, and which worker reads which queue.

A model promoted in the stack must survive ``docker compose up`` recreating the containers (it lives on a
named volume, at the path the registry stored), retraining must find the datasets (mounted read-only), and
a retraining must never sit in front of uploads (its own queue and worker). Reads the files only.
"""

from __future__ import annotations

import shlex

from tests.compose_checks import (
    APP_SERVICES,
    bind_mounts,
    compose,
    dockerfile_stages,
    environment,
    interpolated,
    named_volume_mounts,
    option_value,
    run_commands,
    service_commands,
    services,
    settings_default,
)


def worker_queue(name: str) -> str:
    return option_value(service_commands(services()[name])[0], "-Q", "--queues") or ""


def test_retrained_models_live_on_one_named_volume_at_model_store_dir_in_every_app_service():
    mounts = set()
    for name in APP_SERVICES:
        service = services()[name]
        store = environment(service).get("MODEL_STORE_DIR")
        assert store, f"{name}: MODEL_STORE_DIR is not set, models would land inside the container"
        volumes = [volume for volume, target in named_volume_mounts(service).items() if target == store]
        assert volumes, f"{name}: nothing is mounted at MODEL_STORE_DIR={store}; a promoted model is lost"
        mounts.update((volume, store) for volume in volumes)
    assert len(mounts) == 1, f"every app service must see the store at the same path: {mounts}"
    ((volume, _),) = mounts
    assert volume in (compose().get("volumes") or {})


def test_the_image_creates_the_model_store_for_the_app_user_so_the_volume_is_writable():
    store = environment(compose()["x-app"])["MODEL_STORE_DIR"]
    app = dockerfile_stages()["app"]
    commands = [(user, shlex.join(command)) for user, command in run_commands(app)]
    made = [c for _, c in commands if c.startswith("mkdir ") and store in c.split()]
    owned = [
        c for _, c in commands if c.startswith("chown ") and any(store.startswith(w) for w in c.split()[3:])
    ]
    assert made, f"the image never creates {store}: docker would mount the volume there owned by root"
    assert owned and "birdsite:birdsite" in owned[0]
    assert app["user"] == "birdsite"


def test_the_datasets_are_mounted_read_only_where_birdsite_datasets_points():
    for name in ("retrain-worker", "worker"):
        service = services()[name]
        datasets = environment(service).get("BIRDSITE_DATASETS")
        assert datasets, f"{name}: BIRDSITE_DATASETS is not set"
        mounts = [(source, ro) for source, target, ro in bind_mounts(service) if target == datasets]
        assert mounts, f"{name}: nothing is mounted at BIRDSITE_DATASETS={datasets}"
        assert all(ro for _, ro in mounts), f"{name}: the datasets must be mounted read-only"
        assert all(source.startswith("${BIRDSITE_DATASETS_HOST") for source, _ in mounts), mounts


def test_the_classification_worker_reads_the_queue_celery_queue_names():
    default = settings_default("CELERY_QUEUE")
    assert worker_queue("worker") == f"${{CELERY_QUEUE:-{default}}}"
    assert environment(compose()["x-app"])["CELERY_QUEUE"] == f"${{CELERY_QUEUE:-{default}}}"
    assert interpolated(worker_queue("worker")) == default == "birdsite"


def test_retraining_has_its_own_worker_on_its_own_queue_and_no_other_worker_reads_it():
    default = settings_default("RETRAIN_QUEUE")
    assert default and default != settings_default("CELERY_QUEUE")
    assert worker_queue("retrain-worker") == f"${{RETRAIN_QUEUE:-{default}}}"
    assert environment(services()["retrain-worker"])["RETRAIN_QUEUE"] == f"${{RETRAIN_QUEUE:-{default}}}"
    for name in ("worker", "gpu-worker"):
        assert default not in interpolated(worker_queue(name)).split(","), name
    command = service_commands(services()["retrain-worker"])[0]
    assert option_value(command, "--concurrency", "-c") == "1"  # one training at a time


def test_the_retrain_worker_loads_no_classifier_and_answers_its_healthcheck_by_its_own_name():
    service = services()["retrain-worker"]
    assert environment(service)["MODEL_PRELOAD"] == "false"
    node = option_value(service_commands(service)[0], "-n", "--hostname")
    assert node == "retrain@%h"
    healthcheck = service_commands(service)[-1]
    assert healthcheck[:4] == ["celery", "-A", "workers", "inspect"]
    assert option_value(healthcheck, "-d", "--destination") == "retrain@$$HOSTNAME"
