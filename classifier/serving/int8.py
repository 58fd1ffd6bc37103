"""Serving the int8 conversion: whether this CPU gains from it, and the flatbuffer a build step made.

The int8 file is derived from a model once, when it is shipped or first asked for, by
``python -m classifier build-int8 MODEL_DIR`` (calibrated and checked on the model's own labelled photos:
``classifier/training/quantize.py``). Serving only reads what that step left in the cache, so a worker's
start never calibrates on training photos, and a machine without them serves float.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from classifier.serving import engines, integrity

log = logging.getLogger(__name__)

RECIPE = "int8r1"  # part of the cache key: change it whenever the recipe in training/quantize.py changes
# CPU flags of int8 dot-product instructions: without them XNNPACK's int8 kernels multiply-add no faster
# than its float ones (AMD EPYC Zen 2, AVX2 only: 62 vs 61 images per CPU-second, bench/README.md).
INT8_DOT_FLAGS = ("avx512_vnni", "avx_vnni", "asimddp", "i8mm")


class Int8NotBuilt(LookupError):
    """int8 was asked for a model whose int8 file has not been built on this machine."""


def build_command(config: Any) -> str:
    return f"python -m classifier build-int8 {config.path}"


def int8_dot_product(cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    """The first of ``INT8_DOT_FLAGS`` this CPU has, or None."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return None
    flags = {
        flag
        for line in text.splitlines()
        if line.split(":", 1)[0].strip().lower() in ("flags", "features")
        for flag in line.split(":", 1)[1].split()
    }
    return next((flag for flag in INT8_DOT_FLAGS if flag in flags), None)


def built(config: Any) -> tuple[Path, dict[str, Any]] | None:
    """The int8 flatbuffer of ``config`` and its parity report, if both were built and are whole."""
    target = engines.cached_model_file(config, RECIPE)
    report = target.with_suffix(".json")
    if integrity.is_sealed(target) and integrity.is_sealed(report):
        return target, json.loads(report.read_text())
    return None


def requested(config: Any, threads: int | None) -> engines.Engine:
    """int8 because it was asked for: served even where it failed its parity check (with a warning)."""
    found = built(config)
    if found is None:
        raise Int8NotBuilt(
            f"model {config.version} has no int8 conversion on this machine: build it with "
            f"`{build_command(config)}` (it calibrates on the model's labelled photos)"
        )
    path, report = found
    if not report["ok"]:
        log.warning("int8 (asked for) fails its parity check: %s", "; ".join(report["reasons"]))
    return engines.LiteRTEngine(path, num_threads=threads, name="int8")


def auto(config: Any, threads: int | None) -> engines.Engine | None:
    """The int8 engine if it pays on this CPU, was built and passed its parity check; else None, with
    one log line that says why."""
    flag = int8_dot_product()
    if flag is None:
        log.info(
            "engine auto: float LiteRT, not int8: this CPU has no int8 dot-product instructions %s",
            INT8_DOT_FLAGS,
        )
        return None
    found = built(config)
    if found is None:
        log.warning(
            "engine auto: float LiteRT, not int8: no int8 conversion of %s is built here (%s)",
            config.version,
            build_command(config),
        )
        return None
    path, report = found
    if not report["ok"]:
        log.warning(
            "engine auto: float LiteRT, not int8: parity check failed: %s", "; ".join(report["reasons"])
        )
        return None
    log.info("engine auto: int8 (%s; top-1 agreement with float %.1f%%)", flag, 100 * report["top1_agree"])
    return engines.LiteRTEngine(path, num_threads=threads, name="int8")
