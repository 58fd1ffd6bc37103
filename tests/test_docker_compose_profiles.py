"""docker-compose.yml: the cpu and gpu profiles, unprivileged containers, the production HTTPS settings and
the object store passed through (read from the file, as the other compose tests do)."""

from __future__ import annotations

import re

from tests.compose_checks import (
    APP_SERVICES,
    SETTINGS,
    compose,
    dockerfile_stages,
    environment,
    interpolated,
    read,
    services,
)

HTTPS_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "TRUSTED_PROXIES",
)
STORAGE_SETTINGS = ("MEDIA_STORAGE_URL", "AWS_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def profiles(name: str) -> set[str]:
    return set(services()[name].get("profiles") or [])


def started_with(*chosen: str) -> set[str]:
    """The services ``docker compose --profile X up`` starts: those without profiles, and X's."""
    return {name for name in services() if not profiles(name) or profiles(name) & set(chosen)}


def test_the_cpu_profile_runs_the_cpu_worker_and_no_gpu_worker():
    assert {"postgres", "redis", "migrate", "web", "beat", "worker", "retrain-worker"} <= started_with("cpu")
    assert "gpu-worker" not in started_with("cpu")


def test_the_gpu_profile_adds_the_gpu_worker_beside_the_cpu_worker_that_answers_single_uploads():
    assert {"worker", "gpu-worker", "web", "beat"} <= started_with("gpu")


def test_without_a_profile_no_classification_worker_starts_and_nothing_else_is_left_out():
    assert {"worker", "gpu-worker"}.isdisjoint(started_with())
    assert started_with() | {"worker", "gpu-worker"} == set(services())


def test_only_the_gpu_worker_reserves_a_gpu():
    for name, service in services().items():
        reserves = "nvidia" in str(service.get("deploy", {}))
        assert reserves == (name == "gpu-worker"), name
        assert not reserves or profiles(name) == {"gpu"}, name


def test_every_app_container_runs_unprivileged():
    for name in APP_SERVICES | {"migrate", "beat"}:
        service = services()[name]
        assert str(service.get("user", "")).split(":")[0] not in {"root", "0"}, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
    for stage in dockerfile_stages().values():
        assert stage["user"] == "birdsite"


def test_the_production_https_and_storage_settings_are_passed_through_with_the_sites_defaults():
    env = environment(compose()["x-app"])
    for name in HTTPS_SETTINGS + STORAGE_SETTINGS:
        assert re.fullmatch(rf"\$\{{{name}:-[^}}]*\}}", env.get(name, "")), f"{name} is not passed through"
    settings = read(SETTINGS)
    for name in HTTPS_SETTINGS[:-1]:  # the compose default is the site's own: HTTPS is opted into
        found = re.search(rf"""env_(?:bool|int)\(\s*["']{name}["']\s*,\s*(\w+)""", settings)
        assert found, f"{name} is not read by birdsite/settings.py"
        assert interpolated(env[name]).lower() == found[1].lower(), name
    assert interpolated(env["MEDIA_STORAGE_URL"]) == "", "photos stay on the media volume by default"
