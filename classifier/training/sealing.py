"""Sealing a model directory when it is made: its self-check answers, then a checksum of every file.

Apart from ``selfcheck`` (what a loaded model checks) so that checking imports no backbone's engine.
"""

from __future__ import annotations

from pathlib import Path

from classifier.serving import engines, integrity, selfcheck
from classifier.serving.backbones.union import read_backbone
from classifier.serving.config import ModelConfig


def seal(model_dir: Path) -> None:
    """Record the self-check answers with the reference engine, then checksum every file."""
    config = ModelConfig.read(model_dir)
    if read_backbone(model_dir) == "inat-mnv2":
        from classifier.serving.backbones.inat_engine import InatEngine

        reference: engines.Engine = InatEngine(config)  # the published network is its own reference
    else:
        reference = engines.TensorFlowEngine(config)
    selfcheck.record(config, reference)
    integrity.seal_model(model_dir)
