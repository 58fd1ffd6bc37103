"""What the docker-compose tests read: the compose file, the Dockerfile, the schema, the project's sources."""

from __future__ import annotations

import copy
import functools
import json
import re
import shlex
import tomllib
from pathlib import Path

import jsonschema
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PYPROJECT = ROOT / "pyproject.toml"
SETTINGS = ROOT / "birdsite" / "settings.py"
SCHEMA_FILE = Path(__file__).resolve().parent / "data" / "compose-spec.json"
SCHEMA_SHA256 = "89f4bdc4ba651ff024118917a7cdb67d9d78c1af4bab9b12ec2fc85f5b7d90d3"

SOURCE_DIRS = ("birdsite", "classifier", "workers")
EXPECTED_SERVICES = {"postgres", "redis", "web", "worker", "gpu-worker", "retrain-worker"}
APP_SERVICES = {"web", "worker", "gpu-worker", "retrain-worker"}
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


def bind_mounts(service: dict) -> list[tuple[str, str, bool]]:
    """``(host path, container path, read only)`` for the service's bind mounts (short syntax or long)."""
    mounts = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                mounts.append((volume["source"], volume["target"], bool(volume.get("read_only"))))
            continue
        # "${HOST_DIR:-./data}:/target:ro": the source may hold a colon inside its ${...}
        split = volume.index("}") + 1 if volume.startswith("${") and "}" in volume else 0
        source, rest = volume[:split], volume[split:]
        more, _, rest = rest.partition(":")
        source += more
        if rest and source.startswith((".", "/", "~", "$")):
            target, _, mode = rest.partition(":")
            mounts.append((source, target, "ro" in mode.split(",")))
    return mounts


INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}")


def interpolated(value: str) -> str:
    """What compose makes of ``${NAME:-default}`` with nothing set: the default (``${NAME}``: empty)."""
    return INTERPOLATION.sub(lambda match: match["default"] or "", value)


def settings_default(name: str) -> str | None:
    """The default birdsite/settings.py gives ``env_str("NAME", "default")``."""
    found = re.search(rf"""env_str\(\s*["']{re.escape(name)}["']\s*,\s*["']([^"']*)["']""", read(SETTINGS))
    return found[1] if found else None


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
    queues = interpolated(queues) if queues is not None else None
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
