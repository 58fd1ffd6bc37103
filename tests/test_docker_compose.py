"""docker-compose.yml, Dockerfile and .dockerignore for production.

Docker cannot run on the development machines or in CI, so these tests read the files: the compose
file must validate against the Compose Specification JSON schema (vendored in tests/data, see the
README there), and every command a container runs must refer to something that exists in the project.
They read the file system only (nothing is imported), so they stay meaningful while the code grows.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import shlex
import tomllib
from pathlib import Path

import jsonschema
import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from tests.compose_checks import (
    APP_SERVICES,
    DOCKERIGNORE,
    EXPECTED_SERVICES,
    PYPROJECT,
    SCHEMA_FILE,
    SCHEMA_SHA256,
    SOURCE_DIRS,
    _depends_on,
    command_problems,
    compose,
    dockerfile_instructions,
    dockerfile_stages,
    environment,
    long_running_services,
    named_volume_mounts,
    one_shot_services,
    option_value,
    pinned_version,
    python_sources,
    read,
    run_commands,
    schema,
    schema_errors,
    service_commands,
    services,
)


def test_the_vendored_schema_is_the_compose_specification_recorded_in_the_readme():
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256
    assert SCHEMA_SHA256 in read(SCHEMA_FILE.parent / "README.md")
    assert schema()["title"] == "Compose Specification"
    jsonschema.Draft7Validator.check_schema(schema())


def test_the_compose_file_validates_against_the_compose_specification():
    assert schema_errors(compose()) == []


def break_web_ports(document):
    document["services"]["web"]["ports"] = 12


def misspell_a_key(document):
    document["services"]["worker"]["comand"] = document["services"]["worker"].pop("command")


def give_gpu_capabilities_as_a_string(document):
    document["services"]["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"][0][
        "capabilities"
    ] = "gpu"


def wait_for_a_condition_compose_does_not_know(document):
    document["services"]["web"]["depends_on"]["postgres"]["condition"] = "healthy"


@pytest.mark.parametrize(
    "breakage",
    [
        break_web_ports,
        misspell_a_key,
        give_gpu_capabilities_as_a_string,
        wait_for_a_condition_compose_does_not_know,
    ],
)
def test_a_broken_copy_of_the_compose_file_fails_the_schema(breakage):
    document = compose()
    breakage(document)
    assert schema_errors(document), f"{breakage.__name__} was not caught by the schema"


# --- services, healthchecks, volumes -----------------------------------------------------------


def test_the_stack_has_postgres_redis_web_and_both_workers():
    assert set(services()) >= EXPECTED_SERVICES
    assert services()["postgres"]["image"].split(":")[1].split(".")[0] == "17"
    assert services()["redis"]["image"].split(":")[1].split(".")[0] == "7"


def test_web_and_the_workers_are_built_from_the_repository_with_one_shared_configuration():
    shared = compose()["x-app"]
    for name in APP_SERVICES | one_shot_services():
        service = services()[name]
        assert service["build"]["context"] == shared["build"]["context"] == ".", name
        assert environment(shared).items() <= environment(service).items(), name


def test_the_app_connects_to_postgres_and_redis_in_the_stack_with_secrets_from_variables():
    env = environment(compose()["x-app"])
    assert re.fullmatch(
        r"postgres://birdsite:\$\{POSTGRES_PASSWORD(:?\?[^}]*)?\}@postgres:5432/birdsite", env["DATABASE_URL"]
    )
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert re.fullmatch(r"\$\{DJANGO_SECRET_KEY(:?\?[^}]*)?\}", env["SECRET_KEY"]), "no default secret key"
    assert env["ALLOWED_HOSTS"].startswith("${DJANGO_ALLOWED_HOSTS")
    password = environment(services()["postgres"])["POSTGRES_PASSWORD"]
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD(:?\?[^}]*)?\}", password), "no default database password"


def test_every_environment_variable_given_to_the_app_is_read_by_the_project():
    """Catches a renamed setting (say DJANGO_SECRET_KEY vs SECRET_KEY) that would be silently ignored."""
    text = "\n".join(read(path) for path in python_sources(*SOURCE_DIRS))
    names = {name for service in APP_SERVICES for name in environment(services()[service])}
    unread = sorted(name for name in names if not re.search(rf"""["']{re.escape(name)}["']""", text))
    assert unread == [], f"set in docker-compose.yml but never read in {', '.join(SOURCE_DIRS)}: {unread}"


def test_every_long_running_service_has_a_healthcheck():
    for name in long_running_services():
        healthcheck = services()[name].get("healthcheck") or {}
        assert not healthcheck.get("disable"), name
        test = healthcheck.get("test")
        assert test and test != ["NONE"], f"{name} has no healthcheck"


def test_postgres_and_redis_are_checked_with_their_own_clients_and_web_over_http():
    assert services()["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert services()["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "http://" in " ".join(services()["web"]["healthcheck"]["test"])


def test_the_app_waits_for_healthy_postgres_and_redis_and_for_migrations_to_finish():
    for name in APP_SERVICES:
        depends = _depends_on(services()[name])
        assert depends.get("postgres") == "service_healthy", name
        assert depends.get("redis") == "service_healthy", name
        assert all(
            depends.get(one_shot) == "service_completed_successfully" for one_shot in one_shot_services()
        )
    for name in one_shot_services():
        assert _depends_on(services()[name]).get("postgres") == "service_healthy", name


def test_migrations_run_before_the_web_server_starts():
    migrate_commands = [
        name
        for name in one_shot_services() | {"web"}
        for command in service_commands(services()[name])
        if command[-3:] == ["manage.py", "migrate", "--noinput"]
        or command[1:4] == ["manage.py", "migrate", "--noinput"]
    ]
    assert migrate_commands, "no service runs python manage.py migrate --noinput"


def test_every_named_volume_is_declared_and_data_lives_on_named_volumes():
    declared = set(compose().get("volumes") or {})
    for name, service in services().items():
        assert set(named_volume_mounts(service)) <= declared, name
    assert "/var/lib/postgresql/data" in named_volume_mounts(services()["postgres"]).values()
    assert "/data" in named_volume_mounts(services()["redis"]).values()


def test_web_and_the_workers_share_one_media_volume_at_media_root():
    mounts = set()
    for name in APP_SERVICES:
        service = services()[name]
        media_root = environment(service).get("MEDIA_ROOT")
        assert media_root, f"{name} has no MEDIA_ROOT"
        mounts.update(
            (volume, target)
            for volume, target in named_volume_mounts(service).items()
            if target == media_root
        )
    assert len(mounts) == 1, f"web and workers must mount the same volume at the same MEDIA_ROOT: {mounts}"


def test_the_gpu_worker_reserves_one_nvidia_gpu_and_uses_tensorflow_with_larger_batches():
    gpu_worker = services()["gpu-worker"]
    devices = gpu_worker["deploy"]["resources"]["reservations"]["devices"]
    assert {"driver": "nvidia", "count": 1, "capabilities": ["gpu"]} in devices
    env = environment(gpu_worker)
    assert env["BIRDSITE_ENGINE"] == "tensorflow"
    batch = {key: value for key, value in env.items() if "BATCH" in key}
    assert batch and all(int(value) >= 32 for value in batch.values()), batch
    (command,) = service_commands(gpu_worker)[:1]
    assert option_value(command, "-Q", "--queues") == "gpu"


def test_the_cpu_worker_needs_no_gpu_and_does_not_take_gpu_jobs():
    worker = services()["worker"]
    assert "deploy" not in worker or "devices" not in str(worker["deploy"])
    (command,) = service_commands(worker)[:1]
    assert command[:4] == ["celery", "-A", "workers", "worker"]
    assert "gpu" not in option_value(command, "-Q", "--queues").split(",")
    assert option_value(command, "--concurrency", "-c") == "1"


def test_each_worker_is_checked_by_its_heartbeat_file_not_by_inspect_ping():
    for name in ("worker", "gpu-worker"):
        healthcheck = service_commands(services()[name])[-1]
        assert healthcheck == ["python", "-m", "birdsite.ops.probe", "worker"], name


# --- commands refer to the project -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(APP_SERVICES | {"migrate"}))
def test_every_command_a_service_runs_exists_in_the_project(name):
    if name not in services():
        pytest.skip(f"no {name} service")
    commands = service_commands(services()[name])
    assert commands, f"{name} runs nothing of its own"
    problems = [problem for command in commands for problem in command_problems(command)]
    assert problems == []


def test_every_project_command_the_dockerfile_runs_exists_in_the_project():
    commands = [command for stage in dockerfile_stages().values() for _, command in run_commands(stage)]
    cmd = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "CMD"]
    commands.extend(json.loads(arguments) for arguments in cmd)
    project_commands = [
        command
        for command in commands
        if Path(command[0]).name in {"celery", "daphne"}
        or (re.fullmatch(r"python(3(\.\d+)?)?", Path(command[0]).name) and command[1:2] != ["-c"])
    ]
    assert any(command[:4] == ["python", "-m", "classifier", "fetch-weights"] for command in project_commands)
    problems = [problem for command in project_commands for problem in command_problems(command)]
    assert problems == []


# --- Dockerfile and .dockerignore --------------------------------------------------------------


def test_the_image_is_python_3_11_slim_within_the_supported_python_versions():
    first_base = next(iter(dockerfile_stages().values()))["base"]
    assert first_base == "python:3.11-slim"
    supported = SpecifierSet(tomllib.loads(read(PYPROJECT))["project"]["requires-python"])
    assert "3.11" in supported


def test_every_build_target_named_in_compose_is_a_dockerfile_stage():
    stages = dockerfile_stages()
    for name, service in services().items():
        if "build" in service:
            assert service["build"].get("target") in stages, name


def test_the_image_installs_the_project_caches_the_weights_and_collects_static_files():
    commands = [(user, shlex.join(command)) for user, command in run_commands(dockerfile_stages()["app"])]
    assert any(command == "pip install ." for _, command in commands)
    fetch = [user for user, command in commands if command == "python -m classifier fetch-weights"]
    assert fetch == [dockerfile_stages()["app"]["user"]], "fetch the weights as the user that reads them"
    assert any(command.endswith("manage.py collectstatic --noinput") for _, command in commands)


def test_every_image_runs_as_a_non_root_user():
    for name, stage in dockerfile_stages().items():
        assert stage["user"] not in {"root", "0"}, f"stage {name} runs as root"


def test_the_gpu_image_installs_the_same_tensorflow_as_pyproject():
    pins = [
        Requirement(word)
        for _, command in run_commands(dockerfile_stages()["gpu"])
        if command[:2] == ["pip", "install"]
        for word in command[2:]
        if word.startswith("tensorflow")
    ]
    assert pins, "the gpu stage installs no tensorflow"
    for requirement in pins:
        assert "and-cuda" in requirement.extras
        assert str(requirement.specifier) == f"=={pinned_version('tensorflow')}"


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, closely enough: patterns are relative to the context root, a matched directory
    takes its contents along, ``**/`` matches any depth, the last matching pattern wins."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    ignored = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.removeprefix("!").strip("/")
        candidates = [pattern, *([pattern.removeprefix("**/")] if pattern.startswith("**/") else [])]
        if any(fnmatch.fnmatchcase(prefix, candidate) for prefix in prefixes for candidate in candidates):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_local_state_out_and_everything_the_image_needs_in():
    patterns = [
        line.strip() for line in read(DOCKERIGNORE).splitlines() if line.strip() and not line.startswith("#")
    ]
    for path in (
        ".git/HEAD",
        ".venv/bin/python",
        ".env",
        "media/photo.jpg",
        "var/db.sqlite3",
        "x/__pycache__/a.pyc",
    ):
        assert dockerignored(path, patterns), f"{path} would be sent to the Docker build"
    for path in (
        "pyproject.toml",
        "manage.py",
        "birdsite/settings.py",
        "birdsite/asgi.py",
        "classifier/__main__.py",
        "classifier/models/v1/head.keras",
        "workers/__init__.py",
        "templates/base.html",
    ):
        assert not dockerignored(path, patterns), f"{path} is left out of the Docker build"
