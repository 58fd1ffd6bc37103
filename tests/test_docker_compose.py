"""docker-compose.yml, Dockerfile and .dockerignore for production.

Docker cannot run on the development machines or in CI, so these tests read the files: the compose
file must validate against the Compose Specification JSON schema (vendored in tests/data, see the
README there), and every command a container runs must refer to something that exists in the project.
They read the file system only (nothing is imported), so they stay meaningful while the code grows.
"""

from __future__ import annotations

import copy
import fnmatch
import functools
import hashlib
import json
import re
import shlex
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PYPROJECT = ROOT / "pyproject.toml"
SCHEMA_FILE = Path(__file__).resolve().parent / "data" / "compose-spec.json"
SCHEMA_SHA256 = "89f4bdc4ba651ff024118917a7cdb67d9d78c1af4bab9b12ec2fc85f5b7d90d3"

SOURCE_DIRS = ("birdsite", "classifier", "workers")
EXPECTED_SERVICES = {"postgres", "redis", "web", "worker", "gpu-worker"}
APP_SERVICES = {"web", "worker", "gpu-worker"}
DJANGO_BUILTIN_COMMANDS = {
    "check",
    "collectstatic",
    "createsuperuser",
    "migrate",
    "shell",
    "showmigrations",
}
SHELLS = {"sh", "bash", "/bin/sh", "/bin/bash"}
SHELL_OPERATORS = {"&&", "||", ";", "|"}


# --- reading the files --------------------------------------------------------------------------


@functools.cache
def _compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def compose() -> dict:
    """The compose file with YAML anchors and merge keys resolved (a fresh copy each call)."""
    return copy.deepcopy(_compose())


def services() -> dict[str, dict]:
    return compose()["services"]


@functools.cache
def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def schema_errors(document: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(schema())
    return [
        f"{'.'.join(str(part) for part in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def one_shot_services() -> set[str]:
    """Services that others wait for to *finish* (for example ``migrate``)."""
    return {
        name
        for service in services().values()
        for name, condition in _depends_on(service).items()
        if condition == "service_completed_successfully"
    }


def long_running_services() -> set[str]:
    return set(services()) - one_shot_services()


def _depends_on(service: dict) -> dict[str, str]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return dict.fromkeys(depends, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in depends.items()}


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def named_volume_mounts(service: dict) -> dict[str, str]:
    """``{volume name: container path}`` for the service's named-volume mounts."""
    mounts = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("type", "volume") == "volume" and volume.get("source"):
                mounts[volume["source"]] = volume["target"]
            continue
        source, _, rest = volume.partition(":")
        if rest and not source.startswith((".", "/", "~", "$")):
            mounts[source] = rest.split(":")[0]
    return mounts


def argv(value: str | list) -> list[str]:
    return [str(part) for part in value] if isinstance(value, list) else shlex.split(value)


def simple_commands(words: list[str]) -> list[list[str]]:
    """Split a shell command line into its simple commands; ``sh -c SCRIPT`` is looked into."""
    commands, current = [], []
    for word in [*words, ";"]:
        if word in SHELL_OPERATORS:
            if current:
                commands.append(current)
            current = []
        else:
            current.append(word)
    result = []
    for command in commands:
        while command and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", command[0]):
            command = command[1:]  # VAR=value prefixes
        if len(command) >= 3 and command[0] in SHELLS and command[1] == "-c":
            result.extend(simple_commands(shlex.split(command[2])))
        elif command:
            result.append(command)
    return result


def service_commands(service: dict) -> list[list[str]]:
    """Every command a service's container runs: entrypoint, command and healthcheck."""
    commands = []
    for key in ("entrypoint", "command"):
        if service.get(key):
            commands.extend(simple_commands(argv(service[key])))
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, list) and test and test[0] == "CMD":
        commands.append(test[1:])
    elif isinstance(test, list) and test and test[0] == "CMD-SHELL":
        commands.extend(simple_commands(shlex.split(" ".join(test[1:]))))
    elif isinstance(test, str):
        commands.extend(simple_commands(shlex.split(test)))
    return commands


def python_sources(*dirs: str) -> list[Path]:
    return sorted(
        path for name in dirs for path in (ROOT / name).rglob("*.py") if "migrations" not in path.parts
    )


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


# --- what a command refers to --------------------------------------------------------------------


def module_file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def option_value(words: list[str], *names: str) -> str | None:
    for index, word in enumerate(words):
        for name in names:
            if word == name and index + 1 < len(words):
                return words[index + 1]
            if name.startswith("--") and word.startswith(name + "="):
                return word.split("=", 1)[1]
    return None


def routed_queues() -> set[str] | None:
    """Queue names the project's code mentions as string literals, or None while no code routes."""
    sources = [
        path
        for path in [*python_sources("workers"), ROOT / "birdsite" / "settings.py"]
        if path.is_file() and re.search(r"queue|task_routes", read(path), re.IGNORECASE)
    ]
    if not sources:
        return None
    literals = set()
    for path in sources:
        literals.update(match[1] for match in re.finditer(r"""["']([A-Za-z0-9_.@-]+)["']""", read(path)))
    return literals


def celery_problems(words: list[str]) -> list[str]:
    app = option_value(words, "-A", "--app")
    if app is None:
        return [f"{shlex.join(words)!r}: no -A/--app"]
    module = app.split(":")[0].removesuffix(".celery")
    if module_file(module) is None:
        return [f"{shlex.join(words)!r}: celery app {app!r} has no {module}/__init__.py or {module}.py"]
    queues = option_value(words, "-Q", "--queues")
    known = routed_queues()
    if queues is None or known is None:
        return []
    return [
        f"{shlex.join(words)!r}: queue {queue!r} is not named anywhere in workers/ or birdsite/settings.py"
        for queue in queues.split(",")
        if queue not in known
    ]


def daphne_problems(words: list[str]) -> list[str]:
    target = next((word for word in reversed(words) if ":" in word and not word.startswith("-")), None)
    if target is None:
        return [f"{shlex.join(words)!r}: no module:application argument"]
    module, attribute = target.split(":", 1)
    path = module_file(module)
    if path is None:
        return [f"{shlex.join(words)!r}: {module.replace('.', '/')}.py does not exist"]
    name = re.escape(attribute)
    definition = rf"^(?:{name}\s*(?::[^=\n]*)?=|(?:async\s+)?def\s+{name}\b|class\s+{name}\b)"
    if not re.search(definition, read(path), re.MULTILINE):
        return [f"{shlex.join(words)!r}: {path.relative_to(ROOT)} does not define {attribute!r}"]
    return []


def python_problems(words: list[str]) -> list[str]:
    if len(words) < 2:
        return [f"{shlex.join(words)!r}: bare python"]
    if words[1] == "-c":
        try:
            compile(words[2], "<inline>", "exec")
        except (IndexError, SyntaxError) as exc:
            return [f"{shlex.join(words)!r}: inline code does not compile: {exc}"]
        return []
    if words[1] == "-m":
        module = words[2]
        main = ROOT.joinpath(*module.split(".")) / "__main__.py"
        if not main.is_file():
            return [f"{shlex.join(words)!r}: {main.relative_to(ROOT)} does not exist"]
        subcommand = next((word for word in words[3:] if not word.startswith("-")), None)
        package_text = "\n".join(read(path) for path in python_sources(module.split(".")[0]))
        if subcommand and not re.search(rf"""["']{re.escape(subcommand)}["']""", package_text):
            return [f"{shlex.join(words)!r}: the {module} command line has no {subcommand!r} subcommand"]
        return []
    script = ROOT / words[1]
    if not script.is_file():
        return [f"{shlex.join(words)!r}: {words[1]} does not exist"]
    if script.name == "manage.py":
        subcommand = next((word for word in words[2:] if not word.startswith("-")), None)
        custom = [
            path
            for name in SOURCE_DIRS
            for path in (ROOT / name).glob(f"**/management/commands/{subcommand}.py")
        ]
        if subcommand and subcommand not in DJANGO_BUILTIN_COMMANDS and not custom:
            return [f"{shlex.join(words)!r}: no management command {subcommand!r}"]
    return []


def command_problems(words: list[str]) -> list[str]:
    program = Path(words[0]).name
    if program == "celery":
        return celery_problems(words)
    if program == "daphne":
        return daphne_problems(words)
    if re.fullmatch(r"python(3(\.\d+)?)?", program):
        return python_problems(words)
    return [f"{shlex.join(words)!r}: {program!r} is not a program this test knows how to check"]


# --- Dockerfile ---------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs with continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for line in read(DOCKERFILE).splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        pending += " " + stripped.removesuffix("\\")
        if not stripped.endswith("\\"):
            keyword, _, arguments = pending.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
            pending = ""
    return instructions


def dockerfile_stages() -> dict[str, dict]:
    """Stage name -> ``{"base": image or parent stage, "instructions": [...], "user": effective user}``."""
    stages: dict[str, dict] = {}
    current = None
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            words = arguments.split()
            base = words[0]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else f"stage{len(stages)}"
            inherited = stages[base]["user"] if base in stages else "root"
            current = stages[name] = {"base": base, "instructions": [], "user": inherited}
        elif current is not None:
            current["instructions"].append((keyword, arguments))
            if keyword == "USER":
                current["user"] = arguments.split(":")[0]
    return stages


def run_commands(stage: dict) -> list[tuple[str, list[str]]]:
    """``(user, simple command)`` for every RUN in the stage, with the user it runs as."""
    commands = []
    user = "root" if stage["base"] not in dockerfile_stages() else dockerfile_stages()[stage["base"]]["user"]
    for keyword, arguments in stage["instructions"]:
        if keyword == "USER":
            user = arguments.split(":")[0]
        elif keyword == "RUN":
            commands.extend((user, command) for command in simple_commands(shlex.split(arguments)))
    return commands


def pinned_version(requirement_name: str) -> str:
    for line in tomllib.loads(read(PYPROJECT))["project"]["dependencies"]:
        requirement = Requirement(line)
        if requirement.name == requirement_name:
            (specifier,) = requirement.specifier
            return specifier.version
    raise AssertionError(f"{requirement_name} is not a dependency in pyproject.toml")


# --- the schema ---------------------------------------------------------------------------------


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


def test_each_worker_answers_its_healthcheck_under_its_own_node_name():
    for name in ("worker", "gpu-worker"):
        service = services()[name]
        worker_command, healthcheck = service_commands(service)[0], service_commands(service)[-1]
        node = option_value(worker_command, "-n", "--hostname") or "celery@%h"
        assert healthcheck[:4] == ["celery", "-A", "workers", "inspect"], name
        assert option_value(healthcheck, "-d", "--destination") == node.replace("%h", "$$HOSTNAME"), name


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
