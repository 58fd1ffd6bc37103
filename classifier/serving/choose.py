"""Which of a photo's looks to answer with: the whole photo, or the bird regions found in it.

Every look (the whole photo, each located region, or the user's region) has been named from its own crop:
its calibrated species probabilities and its bird score. ``choose`` keeps the whole-photo answer where it
is at least as sure as the best region (a bird filling the frame), else answers with each region that passes
the bird gate: several birds give several entries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classifier.serving.images import WHOLE, Box
from classifier.serving.locate import intersection, iou

MAX_BIRDS = 4
# The bird score a located region's crop needs (the model's own gate, for whole photos, is far lower): the
# heat map proposes regions wherever some cell looks bird-like, and most of those crops in bird-free frames
# still score 0.01-0.1 (measured on the validation split's wide frames, see the model card).
REGION_GATE = 0.25
# A second region is a second bird only if it overlaps the ones kept less than this (else the same bird),
# and if most of it does not lie inside one of them (a part of the bird: its head, a wing).
SAME_BIRD_IOU = 0.3
INSIDE = 0.6
# A bird beside the first must be plainly a bird: its crop's bird score at least EXTRA_BIRD, or at least
# EXTRA_BIRD_NAMED with a species it is fairly sure of. The phantoms on single-bird frames (a rail, a part
# of a large bird, leaves) scored 0.25-0.75 with species confidences of 0.02-0.5, true second birds mostly
# above 0.85 (wide frames of the validation split, split model 2026.12.07-inat-split; the model card has
# the figures before and after).
EXTRA_BIRD = 0.8
EXTRA_BIRD_NAMED = (0.5, 0.6)  # (bird score, species confidence)


@dataclass(frozen=True)
class Look:
    box: Box
    probs: np.ndarray
    bird_score: float
    gate: float  # the bird score this look needs to count as a bird
    logits: np.ndarray | None = None  # the raw species logits (after flip), for the open-set score

    @property
    def passes(self) -> bool:
        return self.bird_score >= self.gate

    @property
    def confidence(self) -> float:
        return float(self.probs.max())

    @property
    def is_whole(self) -> bool:
        return self.box == WHOLE


def same_bird(a: Box, b: Box) -> bool:
    smaller = min(a[2] * a[3], b[2] * b[3])
    inside = intersection(a, b) / smaller if smaller > 0 else 1.0
    return iou(a, b) >= SAME_BIRD_IOU or inside >= INSIDE


def plainly_a_bird(look: Look) -> bool:
    """Whether a look may be a second (third…) bird of a photo: the first only needs its gate."""
    score, named = EXTRA_BIRD_NAMED
    return look.bird_score >= EXTRA_BIRD or (look.bird_score >= score and look.confidence >= named)


def choose(whole: Look, regions: list[Look], limit: int = MAX_BIRDS) -> list[Look]:
    """The looks to answer with, best first, at least one."""
    passing = sorted((r for r in regions if r.passes), key=lambda r: r.confidence, reverse=True)
    if not passing:
        if whole.passes or not regions:
            return [whole]
        return [max([whole, *regions], key=lambda r: r.bird_score)]
    if whole.passes and whole.confidence >= passing[0].confidence:
        return [whole]
    kept: list[Look] = []
    for region in passing:
        if kept and not plainly_a_bird(region):
            continue
        if all(not same_bird(region.box, other.box) for other in kept):
            kept.append(region)
    return kept[:limit]
