"""Every eBird species can be named, the model's own records stay in, search ignores accents and hyphens."""

from __future__ import annotations

import pytest

from classifier.catalog import Species, search_keys
from classifier.catalog.names import full_catalog

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


TYPED = [*("american crow"[:n] for n in range(1, 14)), "e", "eu", "turdus m", "chuckwill", "Tōki", "warbler",
         "grey heron", "amecro", "corvus", "zzzz", "o", "crow", "black-capped", "ll", "ow"]  # fmt: skip


@pytest.mark.parametrize("limit", [2, 20, 500])
def test_the_word_start_index_gives_the_same_answer_as_scanning_every_name(catalog, limit):
    # The index skips the full scan when exact/prefix/word matches fill the answer; nothing may change.
    for query in TYPED:
        queries = [(q, q.replace(" ", "")) for q in search_keys(query) - {""}]
        scanned: dict = {}
        catalog._scan(queries, scanned)
        catalog._add_banding(queries, scanned)
        expected = catalog._ordered(scanned, (), limit)
        assert catalog.search(query, limit=limit) == expected, query
