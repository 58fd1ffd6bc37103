"""The cross-collection split: every tested taxon is trained from other collections than its test photos.

Photos of one species inside one collection look alike (same photographers, framing, processing), so a
model scored on its own collection's photos is flattered. Here each taxon's photos are tested only on
collections none of its training photos come from:

- taxa that both CUB and the Kaggle set have are dealt into two seeded halves: one half learns from its
  Kaggle photos alone and is tested on its CUB photos ("kaggle→cub", 4 photos a species: few-shot), the
  other the reverse ("cub→kaggle"); ``fold`` 1 swaps the halves, so two folds test every shared taxon both
  ways;
- every taxon ``vbet`` shares with another collection is tested on its vbet photos and never trains on
  them ("→vbet");
- every other photo trains, so the model still has to tell the tested taxa from all the others.

The training photos keep their own seeded train/validation split (early stopping and the refit need one);
the photos to test get split ``"test"``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from classifier.datasets.samples import Sample
from classifier.serving.calibration import FEW_PHOTOS  # "few-shot" in every report, as served

# Dataset folder -> photo collection: cub100 (crops) and cub_originals (scenes) are both CUB-200-2011.
COLLECTIONS = {"cub100": "cub", "cub_originals": "cub", "gpiosenka525": "kaggle", "vbet": "vbet"}


def collection(source: str) -> str:
    return COLLECTIONS.get(source, source)


def support_group(training_photos: int) -> str:
    return "few" if training_photos <= FEW_PHOTOS else "many"


def plan(samples: Iterable[Sample], *, seed: int = 20201, fold: int = 0) -> dict[str, set[str]]:
    """Per tested taxon, the collections it may train on (the others hold its test photos)."""
    found: dict[str, set[str]] = defaultdict(set)
    for s in samples:
        found[s.label].add(collection(s.source))
    shared = sorted(label for label, cols in found.items() if {"cub", "kaggle"} <= cols)
    random.Random(f"{seed}:cross-collection").shuffle(shared)
    halves = (set(shared[: len(shared) // 2]), set(shared[len(shared) // 2 :]))
    from_kaggle, from_cub = halves if fold % 2 == 0 else halves[::-1]
    allowed = {label: {"kaggle"} for label in from_kaggle} | {label: {"cub"} for label in from_cub}
    for label, cols in found.items():
        if "vbet" in cols and len(cols) > 1 and label not in allowed:
            allowed[label] = cols - {"vbet"}
    return allowed


def cross_collection_split(
    samples: Sequence[Sample], *, seed: int = 20201, fold: int = 0, own_test: bool = False
) -> list[Sample]:
    """The samples with the cross-collection split: ``"test"`` for a tested taxon's photos from a
    collection it does not train on, and ``"train"`` for all its other photos (a 4-photo species learns
    from all 4, as the shipped model will; early stopping watches the other taxa's validation photos).
    The other taxa keep train/valid; with ``own_test`` their seeded test photos stay out as ``"own"``, a
    held-out split of the usual kind scored by the same run (else they train)."""
    allowed = plan(samples, seed=seed, fold=fold)
    out = []
    for s in samples:
        if s.label in allowed:
            out.append(replace(s, split="test" if collection(s.source) not in allowed[s.label] else "train"))
        elif s.split == "test":
            out.append(replace(s, split="own" if own_test and s.label not in allowed else "train"))
        else:
            out.append(s)
    return out


def direction(sample: Sample, allowed: dict[str, set[str]]) -> str:
    """``"kaggle→cub"``: where a test photo's taxon learned from, and the collection of the photo."""
    return f"{'+'.join(sorted(allowed[sample.label]))}→{collection(sample.source)}"
