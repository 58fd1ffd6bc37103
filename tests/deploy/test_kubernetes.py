"""deploy/kubernetes, checked offline: every resource against the Kubernetes schemas kubernetes-validate
ships (strict: an unknown field fails), KEDA's ScaledObjects against tests/data/keda-scaledobject.schema.json,
the wiring between them (queues, probes, secrets, GPUs), and Django accepting the ConfigMap."""

from __future__ import annotations

import copy
import json
import os
import secrets as secrets_module
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE_DIR = ROOT / "deploy" / "kubernetes"
KEDA_SCHEMA = json.loads((ROOT / "tests" / "data" / "keda-scaledobject.schema.json").read_text())
K8S_VERSION = kubernetes_validate.latest_version()
SECRET_MOUNT = "/run/secrets/birdsite"


def _from_files() -> list[dict]:
    kustomization = yaml.safe_load((KUSTOMIZE_DIR / "kustomization.yaml").read_text())
    return [
        doc
        for name in kustomization["resources"]
        for doc in yaml.safe_load_all((KUSTOMIZE_DIR / name).read_text())
        if doc
    ]


@pytest.fixture(scope="module")
def resources() -> list[dict]:
    """What `kubectl kustomize` renders; the files as listed in kustomization.yaml without kubectl."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return _from_files()
    rendered = subprocess.run(
        [kubectl, "kustomize", str(KUSTOMIZE_DIR)], capture_output=True, text=True, timeout=120, check=True
    )
    return [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]


def by_kind(resources: list[dict], kind: str) -> dict[str, dict]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def containers(resource: dict) -> list[dict]:
    return resource["spec"]["template"]["spec"]["containers"]


def test_kubectl_kustomize_renders_the_directory() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: `kubectl kustomize deploy/kubernetes` not checked")
    result = subprocess.run(
        [kubectl, "kustomize", str(KUSTOMIZE_DIR)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert {doc["metadata"].get("namespace") for doc in yaml.safe_load_all(result.stdout) if doc} - {
        None
    } == {"birdsite"}


def test_every_kubernetes_resource_matches_its_schema(resources) -> None:
    problems = []
    for resource in resources:
        if resource["apiVersion"].startswith("keda.sh/"):
            continue
        try:
            kubernetes_validate.validate(resource, K8S_VERSION, strict=True)
        except Exception as exc:  # noqa: BLE001 - every problem is reported, not just the first
            problems.append(f"{resource['kind']}/{resource['metadata']['name']}: {exc}")
    assert problems == []


def test_the_validator_catches_a_misspelt_field(resources) -> None:
    web = copy.deepcopy(by_kind(resources, "Deployment")["birdsite-web"])
    containers(web)[0]["livenesProbe"] = containers(web)[0].pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, K8S_VERSION, strict=True)


def test_the_scaled_objects_match_kedas_schema_and_scale_on_their_workers_queue(resources) -> None:
    deployments = by_kind(resources, "Deployment")
    config = by_kind(resources, "ConfigMap")["birdsite-config"]["data"]
    scaled = by_kind(resources, "ScaledObject")
    assert set(scaled) == {"birdsite-worker-cpu", "birdsite-worker-gpu"}
    for scaled_object in scaled.values():
        jsonschema.validate(scaled_object, KEDA_SCHEMA)
        target = deployments[scaled_object["spec"]["scaleTargetRef"]["name"]]
        command = containers(target)[0]["command"]
        queue = command[command.index("-Q") + 1]
        (trigger,) = scaled_object["spec"]["triggers"]
        assert trigger["type"] == "redis" and trigger["metadata"]["listName"] == queue
        assert trigger["metadata"]["addressFromEnv"] in config  # KEDA reads it from the target's env
        assert config["REDIS_URL"].endswith(f"/{trigger['metadata']['databaseIndex']}")
    assert scaled["birdsite-worker-gpu"]["spec"]["minReplicaCount"] == 0
    assert scaled["birdsite-worker-cpu"]["spec"]["minReplicaCount"] >= 1


def test_the_keda_schema_refuses_a_misspelt_field(resources) -> None:
    scaled_object = copy.deepcopy(by_kind(resources, "ScaledObject")["birdsite-worker-gpu"])
    scaled_object["spec"]["minReplicas"] = scaled_object["spec"].pop("minReplicaCount")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(scaled_object, KEDA_SCHEMA)


def test_gpu_workers_ask_for_a_gpu_and_read_their_own_queue(resources) -> None:
    deployments = by_kind(resources, "Deployment")
    config = by_kind(resources, "ConfigMap")["birdsite-config"]["data"]
    (gpu,) = containers(deployments["birdsite-worker-gpu"])
    assert gpu["resources"]["requests"]["nvidia.com/gpu"] == 1 == gpu["resources"]["limits"]["nvidia.com/gpu"]
    assert gpu["command"][gpu["command"].index("-Q") + 1] == "gpu"
    assert config["BIRDSITE_GPU_QUEUE"] == "true"  # the web side sends batch chunks there
    (cpu,) = containers(deployments["birdsite-worker-cpu"])
    assert cpu["command"][cpu["command"].index("-Q") + 1] == config["CELERY_QUEUE"]
    assert "nvidia.com/gpu" not in cpu["resources"]["requests"]


def test_the_web_probes_are_wired_to_the_health_endpoints(resources) -> None:
    (web,) = containers(by_kind(resources, "Deployment")["birdsite-web"])
    config = by_kind(resources, "ConfigMap")["birdsite-config"]["data"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        headers = {h["name"]: h["value"] for h in web[probe]["httpGet"]["httpHeaders"]}
        assert headers["Host"] in config["ALLOWED_HOSTS"].split(",")  # else Django answers 400
    for name in ("birdsite-worker-cpu", "birdsite-worker-gpu", "birdsite-beat"):
        (container,) = containers(by_kind(resources, "Deployment")[name])
        assert "heartbeat" in " ".join(container["livenessProbe"]["exec"]["command"])


def test_there_is_exactly_one_beat(resources) -> None:
    beat = by_kind(resources, "Deployment")["birdsite-beat"]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"


def test_secrets_come_from_the_secret_object_only(resources) -> None:
    config = by_kind(resources, "ConfigMap")["birdsite-config"]["data"]
    assert not {"SECRET_KEY", "DATABASE_URL", "METRICS_TOKEN", "POSTGRES_PASSWORD"} & set(config)
    assert "@" not in config["REDIS_URL"]  # no password in it
    for key, value in config.items():
        if key.endswith("_FILE"):
            assert value.startswith(f"{SECRET_MOUNT}/")
    workloads = [*by_kind(resources, "Deployment").values(), *by_kind(resources, "Job").values()]
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in pod["containers"]:
            mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
            secret = volumes[mounts[SECRET_MOUNT]["name"]]["secret"]
            assert secret["secretName"] == "birdsite-secrets" and mounts[SECRET_MOUNT]["readOnly"]
            assert all("value" not in e or "SECRET" not in e["name"] for e in container.get("env", []))


def test_every_pod_runs_as_the_images_unprivileged_user(resources) -> None:
    for workload in [*by_kind(resources, "Deployment").values(), *by_kind(resources, "Job").values()]:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] == 10001
        for container in pod["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_django_accepts_the_configmap_with_production_checks(resources, tmp_path) -> None:
    config = by_kind(resources, "ConfigMap")["birdsite-config"]["data"]
    secrets = {
        "SECRET_KEY": secrets_module.token_urlsafe(50),
        "DATABASE_URL": "postgres://birdsite:pw@db:5432/birdsite",
        "METRICS_TOKEN": "t",
    }
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "SECRET_KEY"))
    }
    env.update(config, DJANGO_SETTINGS_MODULE="birdsite.settings", VAR_DIR=str(tmp_path / "var"))
    for key, value in config.items():
        if key.endswith("_FILE"):
            path = tmp_path / Path(value).name
            path.write_text(secrets[key.removesuffix("_FILE")])
            env[key] = str(path)
    argv = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
