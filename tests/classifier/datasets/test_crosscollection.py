"""The cross-collection split never trains a tested taxon on the collection its test photos come from."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from classifier.datasets.crosscollection import collection, cross_collection_split, direction, plan
from classifier.datasets.samples import Sample

SPLITS = ("train", "train", "valid", "test")


def photos(source: str, label: str, n: int) -> list[Sample]:
    return [
        Sample(Path(f"/{source}/{label}/{i}.jpg"), source, label, label, SPLITS[i % len(SPLITS)])
        for i in range(n)
    ]


def collections() -> list[Sample]:
    samples: list[Sample] = []
    for i in range(10):  # taxa in both CUB and the Kaggle set, some also in vbet
        samples += photos("cub100", f"both{i}", 40) + photos("gpiosenka525", f"both{i}", 4)
        if i % 3 == 0:
            samples += photos("vbet", f"both{i}", 6)
    samples += photos("cub_originals", "both0", 12)  # the uncropped CUB scenes are CUB too
    samples += photos("cub100", "cubonly", 40) + photos("vbet", "cubonly", 6)
    samples += photos("gpiosenka525", "kaggleonly", 4) + photos("vbet", "kaggleonly", 6)
    samples += photos("gpiosenka525", "untested", 4) + photos("vbet", "vbetonly", 6)
    return samples


def test_no_tested_taxon_trains_on_the_collection_of_its_test_photos():
    for fold in (0, 1):
        split = cross_collection_split(collections(), fold=fold)
        trained: dict[str, set[str]] = defaultdict(set)
        tested: dict[str, set[str]] = defaultdict(set)
        for s in split:
            (tested if s.split == "test" else trained)[s.label].add(collection(s.source))
        assert tested, "the split tests nothing"
        for label, cols in tested.items():
            assert trained[label], f"{label} is tested but never trained"
            assert not cols & trained[label], f"{label}: {cols & trained[label]} both trains and tests"


def test_shared_taxa_learn_from_one_collection_and_are_tested_on_the_other_both_ways():
    split = cross_collection_split(collections(), fold=0)
    allowed = plan(collections(), fold=0)
    ways = {direction(s, allowed) for s in split if s.split == "test" and s.label.startswith("both")}
    assert {"kaggle→cub", "cub→kaggle"} <= ways
    kaggle_only = [s for s in split if allowed.get(s.label) == {"kaggle"} and s.split != "test"]
    assert kaggle_only and {s.source for s in kaggle_only} == {"gpiosenka525"}


def test_the_second_fold_swaps_the_directions_so_every_shared_taxon_is_tested_both_ways():
    first, second = plan(collections(), fold=0), plan(collections(), fold=1)
    shared = [f"both{i}" for i in range(10)]
    assert all(first[t] != second[t] and {*first[t], *second[t]} == {"cub", "kaggle"} for t in shared)


def test_vbet_photos_of_taxa_other_collections_have_are_tested_never_trained():
    split = cross_collection_split(collections(), fold=0)
    vbet = [s for s in split if s.source == "vbet"]
    assert all(s.split == "test" for s in vbet if s.label != "vbetonly")
    assert all(s.split != "test" for s in split if s.label in ("untested", "vbetonly"))


def test_training_photos_keep_their_validation_split_and_their_own_test_photos_train():
    split = cross_collection_split(collections(), fold=0)
    untested = [s.split for s in split if s.label == "untested"]
    assert sorted(untested) == ["train", "train", "train", "valid"]
    assert cross_collection_split(collections(), fold=0) == split  # seeded: the same every time


def test_the_own_held_out_photos_of_untested_taxa_stay_out_of_training_and_of_the_cross_test():
    split = cross_collection_split(collections(), fold=0, own_test=True)
    own = [s for s in split if s.split == "own"]
    assert own and {s.label for s in own} == {"untested", "vbetonly"}  # taxa no other collection tests
    tested = {s.label for s in split if s.split == "test"}
    assert all(s.split != "own" for s in split if s.label in tested)
