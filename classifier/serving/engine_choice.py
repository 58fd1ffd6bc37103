"""Which engine serves a model: the choice between TensorFlow, float LiteRT and int8 LiteRT.

Apart from ``engines`` (what each engine is) and ``int8`` (whether a built int8 conversion may serve), so
that neither of those imports the other's caller. Nothing here converts from training photos: the int8
file is built beforehand (``classifier/training/quantize.py``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from classifier.serving import engines, int8, integrity, selfcheck
from classifier.serving.backbones import union
from classifier.serving.config import ModelConfig

INAT = "inat-mnv2"  # the backbone name in a model's config (classifier/serving/backbones/inat.py)

log = logging.getLogger(__name__)


def create(
    config: ModelConfig,
    requested: str | None = None,
    *,
    precision: str | None = None,
    threads: int | None = None,
) -> engines.Engine:
    """The engine to serve ``config`` with: ``requested`` (None: ``auto``); LiteRT at ``precision``
    (None: float32) on ``threads`` threads (None: every core of the process).

    ``auto`` serves int8 where the CPU has int8 dot-product instructions and a built conversion passed its
    parity check (``classifier/serving/int8.py``), else float LiteRT if it matches TensorFlow, else
    TensorFlow."""
    name = engines.engine_name(requested)
    if config is not None and union.read_backbone(config.path) == INAT:
        # One engine serves the iNat backbone whatever was asked: the published uint8 network, as it is.
        from classifier.serving.backbones.inat_engine import InatEngine

        return InatEngine(config, threads=threads)
    if name == "tensorflow":
        return engines.TensorFlowEngine(config)
    if name == "int8":
        return int8.requested(config, threads)
    precision = engines.precision_name(precision)
    if name == "litert":
        path, report = engines.ensure_litert_model(config, precision=precision)
        if not report["ok"]:
            log.warning("LiteRT (%s) differs from TensorFlow beyond tolerance: %s", precision, report)
        return engines.LiteRTEngine(path, num_threads=threads)
    if precision == "float32" and (served := int8.auto(config, threads)) is not None:
        return served
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
) -> engines.Engine:
    """``create``, then the model's self-check (``classifier/serving/selfcheck.py``) on the engine it gave. A
    failing float engine's converted files are made again once; failing again raises ``ModelDamaged``.
    A failing int8 file (built beforehand, never here) is left as it is: ``auto`` serves float LiteRT
    instead, an explicit ``int8`` raises ``ModelDamaged`` naming the command that builds it again."""

    def build() -> engines.Engine:
        return create(config, requested, precision=precision, threads=threads)

    engine = build()
    expected = selfcheck.Fingerprint.read(config.path)
    found = selfcheck.failures(config, engine, expected)
    if not found:
        return engine
    if engine.name == "int8":
        if engines.engine_name(requested) == "int8":
            raise integrity.ModelDamaged(
                f"the int8 conversion of {config.version} fails its self-check ({found}): build it again "
                f"with `{int8.build_command(config)}`"
            )
        log.error("int8 fails the self-check of %s (%s): serving float LiteRT", config.version, found)
        engine = create(config, "litert", precision=precision, threads=threads)
        selfcheck.verify(config, engine)
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
    """Every cached float conversion of ``config`` (float, float16, dynamic-int8) and their reports: what
    serving may convert again (the int8 file is built by a command, not here)."""
    from classifier.serving.config import PRECISIONS

    flatbuffers = [engines.cached_model_file(config, p) for p in PRECISIONS]
    return [f for flatbuffer in flatbuffers for f in (flatbuffer, flatbuffer.with_suffix(".json"))]
