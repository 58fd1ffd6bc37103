"""The answer falls back to a genus or family when no species is confident, names a species when one is."""

from __future__ import annotations

import numpy as np

from classifier.catalog import Species
from classifier.serving.ranks import Thresholds, answer, group_masses


def record(key: str, scientific: str, family: str, rank: str = "species") -> Species:
    return Species(key, key.title(), scientific, key if rank == "species" else None, rank, "", (), family)


CATALOG = {
    r.key: r
    for r in (
        record("towwar", "Setophaga townsendi", "Parulidae"),
        record("btnwar", "Setophaga virens", "Parulidae"),
        record("herwar", "Setophaga occidentalis", "Parulidae"),
        record("comyel", "Geothlypis trichas", "Parulidae"),
        record("amecro", "Corvus brachyrhynchos", "Corvidae"),
        record("genus-corvus", "Corvus", "Corvidae", rank="genus"),
    )
}
CLASSES = list(CATALOG)


def test_a_confident_species_is_the_answer():
    result = answer(np.array([0.85, 0.05, 0.04, 0.02, 0.02, 0.02]), CLASSES, CATALOG)
    assert result.kind == "species" and result.label == "towwar" and result.rank == "species"
    assert result.confidence == 0.85


def test_spread_over_one_genus_answers_the_genus():
    result = answer(np.array([0.35, 0.25, 0.2, 0.1, 0.05, 0.05]), CLASSES, CATALOG)
    assert result.kind == "higher_taxon" and result.rank == "genus"
    assert result.scientific_name == "Setophaga" and result.label == "genus-setophaga"
    assert abs(result.confidence - 0.8) < 1e-9


def test_spread_over_genera_of_one_family_answers_the_family():
    result = answer(np.array([0.3, 0.05, 0.05, 0.3, 0.15, 0.15]), CLASSES, CATALOG)
    assert (result.kind, result.rank, result.scientific_name) == (
        "higher_taxon",
        "family",
        "Parulidae",
    )
    assert abs(result.confidence - 0.7) < 1e-9


def test_spread_over_families_stays_an_unsure_species():
    result = answer(np.array([0.3, 0.1, 0.05, 0.05, 0.25, 0.25]), CLASSES, CATALOG)
    assert result.kind == "species" and result.label == "towwar" and result.confidence == 0.3


def test_a_genus_level_class_counts_for_its_genus_and_is_answered_as_a_higher_taxon():
    masses = group_masses(np.array([0, 0, 0, 0, 0.3, 0.7]), [CATALOG[c] for c in CLASSES])
    assert masses[("genus", "Corvus")] == 1.0 and masses[("family", "Corvidae")] == 1.0
    result = answer(np.array([0.02, 0.02, 0.02, 0.02, 0.02, 0.9]), CLASSES, CATALOG)
    assert (result.kind, result.rank, result.common_name) == (
        "higher_taxon",
        "genus",
        "Genus-Corvus",
    )
    assert answer(np.array([0.02] * 5 + [0.9]), CLASSES, CATALOG, Thresholds(species=0.95)).rank == "genus"
