"""One species head over the union of our taxa and the species the iNat backbone's own head knows.

Our head is a linear softmax layer on the pooled iNat feature (standardised), trained on our photos. The
iNat head is the backbone's own linear layer on the same feature, put on our scale as
``scale * (its iNat logit) + shift``: several iNat labels that are one eBird species today are one class
(log-sum-exp of their logits). A species only the iNat head knows gets that logit; a species both know
gets both, as a mixture (``logaddexp``: either head may be sure of it); a species of ours learned from a
few photos gets a fitted lift (folded into ``bias``), since a head trained on four photos is less sure of
them than it should be. ``scale``, ``shift`` and the lift are fitted on held-out photos
(``classifier/training/inat_fit.py``) so that the extra species answer photos of their own and do not
steal ours. Everything here is numpy: serving needs no TensorFlow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from classifier.serving import integrity
from classifier.serving.backbones import inat

FILE = "union_head.npz"


@dataclass(frozen=True)
class UnionHead:
    weights: np.ndarray  # (1280, ours): standardisation folded in
    bias: np.ndarray  # (ours,)
    extra_sources: tuple[tuple[int, ...], ...]  # per extra class, the iNat output indices it gathers
    scale: float
    shift: float
    shared: tuple[tuple[int, tuple[int, ...]], ...] = ()  # our class index, the iNat outputs of it

    @property
    def ours(self) -> int:
        return len(self.bias)

    @property
    def classes(self) -> int:
        return self.ours + len(self.extra_sources)

    def logits(self, pooled: np.ndarray, inat_logits: np.ndarray) -> np.ndarray:
        """Species logits ``(N, classes)``: ours first, then the extra species in ``extra_sources`` order."""
        with _one_blas_thread():
            # float32, one thread: a (4 × 1280) · (1280 × 584) product is ~0.2 ms so; threaded float64 on a
            # busy 2-core CPU took 3 ms. The sums that follow are float64.
            own = (pooled.astype(np.float32) @ self.weights32).astype(np.float64) + self.bias
        # One padded gather per kind of class, not a Python loop over a thousand of them (it cost ~15 ms).
        padded = np.concatenate([inat_logits.astype(np.float64), np.full((len(own), 1), -np.inf)], axis=1)
        if self.shared:
            index, gather = self._gathers(True)
            own[:, index] = np.logaddexp(own[:, index], self.scale * _group_lse(padded, gather) + self.shift)
        if not self.extra_sources:
            return own
        _, gather = self._gathers(False)
        return np.concatenate([own, self.scale * _group_lse(padded, gather) + self.shift], axis=1)

    @property
    def weights32(self) -> np.ndarray:
        if "_weights32" not in self.__dict__:
            object.__setattr__(self, "_weights32", np.ascontiguousarray(self.weights, dtype=np.float32))
        return self.__dict__["_weights32"]

    def _gathers(self, shared: bool) -> tuple[np.ndarray, np.ndarray]:
        key = "_shared_gather" if shared else "_extra_gather"
        if key not in self.__dict__:
            groups = [s for _, s in self.shared] if shared else list(self.extra_sources)
            width = max(len(g) for g in groups)
            pad = len(inat.labels())  # the -inf column appended after the iNat logits
            gather = np.array([[*g, *([pad] * (width - len(g)))] for g in groups], dtype=np.intp)
            index = np.array([i for i, _ in self.shared], dtype=np.intp) if shared else np.empty(0, np.intp)
            object.__setattr__(self, key, (index, gather))  # a cache on a frozen dataclass
        return self.__dict__[key]

    def save(self, model_dir: Path) -> None:
        with open(model_dir / FILE, "wb") as handle:
            np.savez(
                handle,
                weights=self.weights.astype(np.float32),
                bias=self.bias.astype(np.float32),
                **_packed("extra", self.extra_sources),
                **_packed("shared", tuple(s for _, s in self.shared)),
                shared_index=np.asarray([i for i, _ in self.shared], np.int32),
                scale=np.float64(self.scale),
                shift=np.float64(self.shift),
            )

    @classmethod
    def load(cls, model_dir: Path) -> UnionHead:
        with np.load(model_dir / FILE) as data:
            shared = zip(data["shared_index"].tolist(), _unpacked(data, "shared"), strict=True)
            head = cls(
                data["weights"].astype(np.float64),
                data["bias"].astype(np.float64),
                _unpacked(data, "extra"),
                float(data["scale"]),
                float(data["shift"]),
                tuple(shared),
            )
        if head.weights.shape[0] != inat.FEATURE_SIZE or not np.isfinite(head.weights).all():
            raise integrity.ModelDamaged(f"{model_dir / FILE} holds no usable head")
        return head


def _packed(name: str, groups: tuple[tuple[int, ...], ...]) -> dict[str, np.ndarray]:
    return {
        f"{name}_flat": np.asarray([i for g in groups for i in g], np.int32),
        f"{name}_sizes": np.asarray([len(g) for g in groups], np.int32),
    }


def _unpacked(data, name: str) -> tuple[tuple[int, ...], ...]:
    flat, groups, at = data[f"{name}_flat"].tolist(), [], 0
    for size in data[f"{name}_sizes"].tolist():
        groups.append(tuple(flat[at : at + size]))
        at += size
    return tuple(groups)


@cache
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _one_blas_thread() -> Any:
    return _blas().limit(limits=1, user_api="blas")


def _group_lse(padded: np.ndarray, gather: np.ndarray) -> np.ndarray:
    """``(N, groups)``: log-sum-exp of each group's columns of ``padded`` (its last column is -inf)."""
    values = padded[:, gather]  # (N, groups, width)
    top = values.max(axis=2)
    return top + np.log(np.exp(values - top[:, :, None]).sum(axis=2))


def background_probability(inat_logits: np.ndarray) -> np.ndarray:
    """The iNat head's probability of ``background`` (no bird it knows)."""
    shifted = inat_logits - inat_logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    return probs[:, inat.background_index()] / probs.sum(axis=1)


def read_backbone(model_dir: Path) -> str:
    """The backbone a model directory's config names (older models: ImageNet MobileNet v1)."""
    raw = json.loads((model_dir / "config.json").read_text())
    return str(raw.get("base", {}).get("backbone", "mobilenet_v1"))
