"""Typed readers for settings that come from the environment.

Every helper raises ``ImproperlyConfigured`` on a value it cannot parse, so a typo in the
environment stops the process at start-up instead of surfacing later as odd behaviour.
A ``NAME_FILE`` variable, when set, is read instead of ``NAME`` (Docker/Kubernetes secrets).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, MutableMapping
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    file_name = env.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    return env.get(name)


def env_str(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    return default if value is None else value


def env_optional(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    value = _raw(name, environ)
    return value or None


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def env_int(
    name: str,
    default: int,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: int | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip().replace("_", ""))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from exc
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}")
    return number


def env_float(
    name: str,
    default: float,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float:
    value = _raw(name, environ)
    if value is None or value.strip() == "":
        return default
    try:
        number = float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from exc
    if (minimum is not None or maximum is not None) and math.isnan(number):  # NaN passes every comparison
        raise ImproperlyConfigured(f"{name}={value!r} is not a number")
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={number} is above the maximum of {maximum}")
    return number


def env_choice(
    name: str, default: str, choices: tuple[str, ...], environ: Mapping[str, str] | None = None
) -> str:
    """One of ``choices`` (case-insensitive); anything else is a typo and stops the start-up."""
    value = _raw(name, environ)
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered not in choices:
        raise ImproperlyConfigured(f"{name}={value!r}: choose one of {', '.join(choices)}")
    return lowered


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str, environ: Mapping[str, str] | None = None) -> list[IPv4Network | IPv6Network]:
    """Comma-separated addresses or networks (``10.0.0.0/24,::1``); none when unset."""
    try:
        return [ip_network(item, strict=False) for item in env_list(name, [], environ)]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc


def parse_dotenv(text: str) -> dict[str, str]:
    """Parse ``KEY=value`` lines; ``#`` comments, ``export`` prefixes and simple quotes allowed."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        stripped = stripped.removeprefix("export ").strip()
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if not sep or not key.replace("_", "").isalnum():
            raise ImproperlyConfigured(f".env line {number} is not KEY=value: {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
        values[key] = value
    return values


def load_dotenv(path: Path, environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Copy values from ``path`` into the environment; variables already set win."""
    env = os.environ if environ is None else environ
    if not path.is_file():
        return {}
    values = parse_dotenv(path.read_text(encoding="utf-8"))
    for key, value in values.items():
        env.setdefault(key, value)
    return values


_RATE_PERIODS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def env_rate(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    """A throttle rate ``N/period`` (period: second, minute, hour, day, or s/m/h/d), as DRF reads it."""
    value = (_raw(name, environ) or default).strip()
    count, sep, period = value.partition("/")
    if not sep or not count.strip().isdigit() or int(count) < 1 or period.strip()[:1] not in _RATE_PERIODS:
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate like 60/minute or 1000/day")
    return f"{int(count)}/{_RATE_PERIODS[period.strip()[0]]}"
