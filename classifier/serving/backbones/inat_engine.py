"""The serving engine of a model on the iNat backbone: uint8 pixels in, ``(species logits, ImageNet logits)``
out, as every engine (``classifier/serving/engines.py``).

Species: one iNat pass per image, then the union head (numpy). Bird gate: the same ImageNet MobileNet v1
score every model is gated by, from the heat-map network run on the 224-px image: its per-cell ImageNet
logits averaged over the 7×7 cells are exactly the network's logits for that image (pooling and the 1×1
head are linear), so the gate's threshold carries over unchanged and no second conversion is needed.
"""

from __future__ import annotations

import numpy as np

from classifier.serving.backbones.inat import InatNet
from classifier.serving.backbones.union import UnionHead
from classifier.serving.heatmap import HeatMapNet


class InatEngine:
    name = "inat-uint8"

    def __init__(self, config, *, threads: int | None = None):
        self.net = InatNet(threads=threads)
        self.head = UnionHead.load(config.path)
        if self.head.classes != len(config.classes):
            raise ValueError(f"union head has {self.head.classes} classes, config {len(config.classes)}")
        self.gate = HeatMapNet("litert", threads=threads)

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        imagenet = np.stack([self.gate(image).mean(axis=(0, 1)) for image in batch]) if len(batch) else None
        return self.species(batch), imagenet if imagenet is not None else np.empty((0, 1000))

    def species(self, batch: np.ndarray) -> np.ndarray:
        """Species logits alone: what a flipped second look needs (its bird score is never read)."""
        pooled, inat_logits = self.net(batch)
        return self.head.logits(pooled, inat_logits)
