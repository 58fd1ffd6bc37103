"""Every eBird species can be named, the model's own records stay in, search ignores accents and hyphens."""

from __future__ import annotations

import pytest

from classifier.catalog import Species
from classifier.names import full_catalog

MODEL_RECORD = Species(
    "amegfi", "American Goldfinch", "Spinus tristis", "amegfi", "species", "", ("cub100/x",), "", 49
)
GENUS_RECORD = Species("genus-corvus", "Crows and ravens", "Corvus", None, "genus", "", (), "Corvidae")


@pytest.fixture(scope="module")
def catalog():
    return full_catalog([MODEL_RECORD, GENUS_RECORD])


def test_it_holds_every_ebird_species_and_the_model_s_own_records(catalog):
    assert len(catalog) > 11_000
    assert catalog["amecro"].common_name == "American Crow"
    assert catalog["eurbla"].scientific_name == "Turdus merula"
    assert catalog["amegfi"].training_photos == 49 and catalog["amegfi"].dataset_labels == ("cub100/x",)
    assert "genus-corvus" in catalog  # a model class above species stays nameable


def test_search_finds_species_by_name_word_prefix_scientific_name_and_code(catalog):
    assert catalog.search("American Crow")[0].key == "amecro"
    assert catalog.search("eurasian blackb")[0].key == "eurbla"
    assert catalog.search("turdus merula")[0].key == "eurbla"
    assert catalog.search("amecro")[0].key == "amecro"
    assert catalog.search("blackbird", limit=50)[0].common_name.endswith("Blackbird")


def test_search_ignores_accents_hyphens_and_apostrophes(catalog):
    assert catalog.search("black and white warbler")[0].key == "bawwar"
    assert catalog.search("Black-and-white Warbler")[0].key == "bawwar"
    assert catalog.search("blackandwhite warbler")[0].key == "bawwar"
    assert catalog.search("ruppells griffon")[0].common_name == "Rüppell's Griffon"
    assert catalog.search("Rüppell's Griffon")[0].common_name == "Rüppell's Griffon"
