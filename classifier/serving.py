"""Which engine serves a model: the choice between TensorFlow, float LiteRT and int8 LiteRT.

Apart from ``engines`` (what each engine is) and ``quantize`` (how the int8 one is made and checked), so
that neither of those imports the other's caller.
"""

from __future__ import annotations

import logging
from pathlib import Path

from classifier import engines, integrity, quantize, selfcheck
from classifier.backbones import union
from classifier.config import ModelConfig

INAT = "inat-mnv2"  # the backbone name in a model's config (classifier/backbones/inat.py)

log = logging.getLogger(__name__)


def create(
    config: ModelConfig,
    requested: str | None = None,
    *,
    precision: str | None = None,
    threads: int | None = None,
    datasets: Path | None = None,
) -> engines.Engine:
    """The engine to serve ``config`` with: ``requested`` (None: ``auto``); LiteRT at ``precision``
    (None: float32) on ``threads`` threads (None: every core of the process). ``datasets``: the folder of
    the model's training datasets, which the int8 conversion calibrates and checks on (None: the
    ``shared/datasets/birds`` beside the checkout).

    ``auto`` serves int8 where the CPU has int8 dot-product instructions and the conversion passed its
    parity check, else float LiteRT if it matches TensorFlow, else TensorFlow."""
    name = engines.engine_name(requested)
    if config is not None and union.read_backbone(config.path) == INAT:
        # One engine serves the iNat backbone whatever was asked: the published uint8 network, as it is.
        from classifier.backbones.inat_engine import InatEngine

        return InatEngine(config, threads=threads)
    if name == "tensorflow":
        return engines.TensorFlowEngine(config)
    if name == "int8":
        path, report = quantize.ensure_int8_model(config, datasets=datasets)
        if not report["ok"]:
            log.warning("int8 (asked for) fails its parity check: %s", "; ".join(report["reasons"]))
        return engines.LiteRTEngine(path, num_threads=threads, name="int8")
    precision = engines.precision_name(precision)
    if name == "litert":
        path, report = engines.ensure_litert_model(config, precision=precision)
        if not report["ok"]:
            log.warning("LiteRT (%s) differs from TensorFlow beyond tolerance: %s", precision, report)
        return engines.LiteRTEngine(path, num_threads=threads)
    if precision == "float32" and (int8 := quantize.auto_int8(config, datasets, threads)) is not None:
        return int8
    try:
        path, report = engines.ensure_litert_model(config, precision=precision)
        if report["ok"]:
            return engines.LiteRTEngine(path, num_threads=threads)
        log.warning("LiteRT (%s) does not match TensorFlow, serving with TensorFlow: %s", precision, report)
    except Exception:
        log.exception("LiteRT is not available, serving with TensorFlow")
    return engines.TensorFlowEngine(config)


def create_checked(
    config: ModelConfig,
    requested: str | None = None,
    *,
    precision: str | None = None,
    threads: int | None = None,
    datasets: Path | None = None,
) -> engines.Engine:
    """``create``, then the model's self-check (``classifier/selfcheck.py``) on the engine it gave. A
    failing engine's converted files are made again once; failing again raises ``ModelDamaged``."""

    def build() -> engines.Engine:
        return create(config, requested, precision=precision, threads=threads, datasets=datasets)

    engine = build()
    expected = selfcheck.Fingerprint.read(config.path)
    found = selfcheck.failures(config, engine, expected)
    if not found:
        return engine
    log.error(
        "engine %s fails the self-check of %s (%s): converting again", engine.name, config.version, found
    )
    for file in converted_files(config):
        integrity.seal_path(file).unlink(missing_ok=True)
    engine = build()
    selfcheck.verify(config, engine)
    return engine


def converted_files(config: ModelConfig) -> list[Path]:
    """Every cached conversion of ``config`` (float, float16, dynamic-int8, int8) and their reports."""
    from classifier.config import PRECISIONS

    flatbuffers = [engines.cached_model_file(config, p) for p in (*PRECISIONS, quantize.RECIPE)]
    return [f for flatbuffer in flatbuffers for f in (flatbuffer, flatbuffer.with_suffix(".json"))]
