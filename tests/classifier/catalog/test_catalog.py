"""The species catalog: label resolution against the eBird taxonomy, merging, search, JSON round trip."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from classifier.catalog import (
    DEFAULT_PATH,
    Catalog,
    ExcludedLabel,
    Species,
    build_catalog,
    main,
    scan_labels,
    taxonomy,
)
from classifier.catalog.aliases import ALIASES, EXCLUDED, GROUP_NAMES

DATASETS = Path(
    os.environ.get("BIRDSITE_DATASETS")
    or Path(__file__).resolve().parents[3].parent / "shared" / "datasets" / "birds"
)
SOURCES = ("cub100", "gpiosenka525")
EXCLUDED_LABEL = next(iter(EXCLUDED))


def make_dataset(
    root: Path, labels: list[str], hints: dict[str, str] | None = None, splits: bool = False
) -> Path:
    """A folder-per-class dataset with one empty photo per class (and split folders if asked)."""
    root.mkdir(parents=True)
    for label in labels:
        for split in ("train", "valid", "test") if splits else ("",):
            folder = root / split / label
            folder.mkdir(parents=True)
            (folder / "1.jpg").write_bytes(b"")
    if hints:
        rows = "".join(f"{label},{sci}\n" for label, sci in hints.items())
        (root / "species.csv").write_text("label,scientific_name\n" + rows, encoding="utf-8")
    return root


def build(tmp_path: Path, **datasets: list[str] | tuple[list[str], dict[str, str]]) -> Catalog:
    dirs = []
    for source, spec in datasets.items():
        labels, hints = spec if isinstance(spec, tuple) else (spec, None)
        dirs.append(make_dataset(tmp_path / source, labels, hints))
    return build_catalog(dirs)


@pytest.fixture(scope="module")
def shared_catalog() -> Catalog:
    if not all((DATASETS / s).is_dir() for s in SOURCES):
        pytest.skip(f"shared datasets not found at {DATASETS} (set BIRDSITE_DATASETS to their folder)")
    return build_catalog([DATASETS / s for s in SOURCES])


def shared_labels() -> dict[str, tuple[list[str], dict[str, str]]]:
    return {s: scan_labels(DATASETS / s) for s in SOURCES}


# --- unit tests: small temp datasets -----------------------------------------------------------------


def test_a_species_label_becomes_an_ebird_record(tmp_path: Path) -> None:
    catalog = build(tmp_path, cub100=["American_Goldfinch"])
    assert catalog.keys() == ["amegfi"]
    assert catalog["amegfi"] == Species(
        key="amegfi",
        common_name="American Goldfinch",
        scientific_name="Spinus tristis",
        ebird_code="amegfi",
        rank="species",
        wikipedia_url="https://en.wikipedia.org/wiki/American_Goldfinch",
        dataset_labels=("cub100/American_Goldfinch",),
        family="Fringillidae",
    )
    assert "eBird/Clements 2024" in catalog.taxonomy_version


def test_the_newest_ebird_taxonomy_is_used() -> None:
    assert taxonomy().year == 2024


def test_dropped_possessives_underscores_and_case_are_matched(tmp_path: Path) -> None:
    catalog = build(
        tmp_path,
        cub100=[
            "Clark_Nutcracker",
            "Anna_Hummingbird",
            "Chuck_will_Widow",
            "Le_Conte_Sparrow",
            "Heermann_Gull",
        ],
        kaggle=["CLARKS NUTCRACKER", "BAY-BREASTED WARBLER", "D-ARNAUDS BARBET", "GREY HEADED CHACHALACA"],
    )
    names = {s.common_name for s in catalog}
    assert {"Clark's Nutcracker", "Anna's Hummingbird", "Chuck-will's-widow", "LeConte's Sparrow"} <= names
    assert {"Heermann's Gull", "Bay-breasted Warbler", "D'Arnaud's Barbet", "Gray-headed Chachalaca"} <= names
    assert catalog["clanut"].dataset_labels == ("cub100/Clark_Nutcracker", "kaggle/CLARKS NUTCRACKER")
    assert catalog["clanut"].wikipedia_url == "https://en.wikipedia.org/wiki/Clark's_Nutcracker"


def test_a_scientific_name_label_resolves(tmp_path: Path) -> None:
    catalog = build(tmp_path, kaggle=["PARUS MAJOR"], cub100=["Geococcyx"])
    assert catalog.resolve("PARUS MAJOR").common_name == "Great Tit"
    assert catalog.resolve("Geococcyx").rank == "genus"


def test_the_species_csv_hint_places_a_misspelled_label(tmp_path: Path) -> None:
    hints = {"BROWN CREPPER": "Certhia americana", "MASKED BOBWHITE": "Colinus virginianus ridgwayi"}
    catalog = build(tmp_path, kaggle=(list(hints), hints))
    assert catalog.resolve("BROWN CREPPER").key == "brncre"
    # A subspecies hint places its species.
    assert catalog.resolve("MASKED BOBWHITE").key == "norbob"
    assert catalog.report.resolved_by["kaggle/BROWN CREPPER"].endswith("(species.csv)")


def test_a_common_name_match_wins_over_a_wrong_hint_and_the_conflict_is_noted(tmp_path: Path) -> None:
    catalog = build(tmp_path, kaggle=(["AMERICAN AVOCET"], {"AMERICAN AVOCET": "Psittacula eupatria"}))
    assert catalog.resolve("AMERICAN AVOCET").key == "ameavo"
    assert any("AMERICAN AVOCET" in note and "Psittacula eupatria" in note for note in catalog.report.notes)


def test_genus_and_family_labels_get_that_rank_not_a_fake_species(tmp_path: Path) -> None:
    catalog = build(tmp_path, kaggle=(["CROW", "ALBATROSS", "TOUCHAN"], {
        "CROW": "Corvus", "ALBATROSS": "Diomedeidae", "TOUCHAN": "Ramphastidae"}))  # fmt: skip
    crow, albatross, toucan = (catalog.resolve(label) for label in ("CROW", "ALBATROSS", "TOUCHAN"))
    assert (crow.key, crow.rank, crow.ebird_code) == ("genus-corvus", "genus", None)
    assert (albatross.key, albatross.rank) == ("family-diomedeidae", "family")
    assert (toucan.key, toucan.rank) == ("family-ramphastidae", "family")
    assert crow.common_name == GROUP_NAMES["Corvus"]
    assert crow.wikipedia_url == "https://en.wikipedia.org/wiki/Corvus"


def test_a_name_several_species_share_falls_back_to_their_genus_or_family() -> None:
    tax = taxonomy()
    assert tax.match(["CROW"], [], use_aliases=False).taxon.key == "genus-corvus"
    # Royal Flycatcher (eBird 2022) is four species in 2024; Barn Owl three.
    assert tax.match(["Royal Flycatcher"], [], use_aliases=False).taxon.key == "genus-onychorhynchus"
    assert tax.match(["Barn Owl"], [], use_aliases=False).taxon.key == "genus-tyto"


def test_an_old_name_a_split_shared_out_follows_the_hint_not_the_reused_code() -> None:
    # eBird 2023 gave Northern Goshawk's code to American Goshawk; Accipiter gentilis is Eurasian.
    match = taxonomy().match(["NORTHERN GOSHAWK"], ["Accipiter gentilis"], use_aliases=False)
    assert match.taxon.common_name == "Eurasian Goshawk"


def test_misspelled_labels_resolve_through_the_reviewed_aliases(tmp_path: Path) -> None:
    catalog = build(tmp_path, kaggle=["DOUBLE BRESTED CORMARANT", "BRANDT CORMARANT", "IWI"])
    assert catalog.resolve("DOUBLE BRESTED CORMARANT").common_name == "Double-crested Cormorant"
    assert catalog.resolve("BRANDT CORMARANT").common_name == "Brandt's Cormorant"
    assert catalog.resolve("IWI").scientific_name == "Drepanis coccinea"
    assert set(catalog.report.resolved_by.values()) == {"alias"}


def test_every_alias_names_a_taxon_of_the_newest_taxonomy() -> None:
    for label, target in ALIASES.items():
        taxon = taxonomy().lookup(target)
        assert taxon.rank in ("species", "genus", "family"), label
        if taxon.rank != "species":
            assert taxon.scientific_name in GROUP_NAMES, f"{label}: give {target} an English name"


def test_the_same_species_in_two_datasets_is_one_record(tmp_path: Path) -> None:
    catalog = build(tmp_path, cub100=["American_Goldfinch", "Eared_Grebe"], kaggle=[
        "AMERICAN GOLDFINCH", "BLACK-NECKED GREBE"])  # fmt: skip
    assert len(catalog) == 2
    assert catalog["eargre"].dataset_labels == ("cub100/Eared_Grebe", "kaggle/BLACK-NECKED GREBE")
    assert [s.key for s in catalog.merged()] == ["amegfi", "eargre"]


def test_two_labels_of_one_dataset_naming_one_taxon_share_a_record_and_are_noted(tmp_path: Path) -> None:
    catalog = build(tmp_path, kaggle=(["ROCK DOVE", "JACOBIN PIGEON"], {
        "ROCK DOVE": "Columba livia", "JACOBIN PIGEON": "Columba livia"}))  # fmt: skip
    assert catalog.keys() == ["rocpig"]
    assert catalog["rocpig"].dataset_labels == ("kaggle/JACOBIN PIGEON", "kaggle/ROCK DOVE")
    assert catalog.merged() == []
    assert any(note.startswith("merged") and "rocpig" in note for note in catalog.report.notes)


def test_class_folders_inside_train_valid_test_folders_are_found(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "birds525", ["ABBOTTS BABBLER", "CROW"], {"CROW": "Corvus"}, splits=True)
    labels, hints = scan_labels(root)
    assert labels == ["ABBOTTS BABBLER", "CROW"]
    assert hints == {"CROW": "Corvus"}
    catalog = build_catalog([root])
    assert catalog.resolve("ABBOTTS BABBLER", "birds525").scientific_name == "Malacocincla abbotti"


def test_excluded_labels_get_no_record_and_resolving_them_says_why(tmp_path: Path) -> None:
    label = EXCLUDED_LABEL
    catalog = build(tmp_path, kaggle=[label, "BOBOLINK"])
    assert catalog.keys() == ["boboli"]
    assert catalog.report.excluded == {f"kaggle/{label}": EXCLUDED[label]}
    with pytest.raises(ExcludedLabel, match="excluded"):
        catalog.resolve(label, "kaggle")


def test_labels_no_taxon_matches_are_reported_unresolved(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    make_dataset(tmp_path / "odd", ["Zzyzx Quux", "Bobolink"])
    catalog = build_catalog([tmp_path / "odd"])
    assert catalog.report.unresolved == ["odd/Zzyzx Quux"]
    assert main(["--data", str(tmp_path / "odd"), "--out", str(tmp_path / "c.json")]) == 1
    assert "UNRESOLVED: odd/Zzyzx Quux" in capsys.readouterr().out


def test_resolve_takes_a_source_a_full_label_or_a_loose_spelling(tmp_path: Path) -> None:
    catalog = build(tmp_path, cub100=["American_Goldfinch"], kaggle=["AMERICAN GOLDFINCH"])
    assert catalog.resolve("American_Goldfinch", "cub100").key == "amegfi"
    assert catalog.resolve("kaggle/AMERICAN GOLDFINCH").key == "amegfi"
    assert catalog.resolve("american goldfinch").key == "amegfi"


def test_resolving_an_unknown_label_raises_a_clear_key_error(tmp_path: Path) -> None:
    catalog = build(tmp_path, cub100=["American_Goldfinch"])
    with pytest.raises(KeyError, match="not in the catalog.*aliases.py"):
        catalog.resolve("Snark", "cub100")
    with pytest.raises(KeyError):
        catalog.resolve("American_Goldfinch", "other")


def test_search_ignores_case_accents_and_punctuation_best_first(tmp_path: Path) -> None:
    cub = [
        "American_Goldfinch",
        "European_Goldfinch",
        "Clark_Nutcracker",
        "Chuck_will_Widow",
        "American_Redstart",
        "Gray_Catbird",
    ]
    kaggle = (["PARUS MAJOR", "RUPPELLS VULTURE"], {"RUPPELLS VULTURE": "Gyps rueppelli"})
    catalog = build(tmp_path, cub100=cub, kaggle=kaggle)
    keys = [s.key for s in catalog.search("goldfinch")]
    assert keys == ["amegfi", "eurgol"]
    assert catalog.search("parus major")[0].common_name == "Great Tit"
    assert catalog.search("GREAT TIT")[0].scientific_name == "Parus major"
    assert catalog.search("clark nutcracker")[0].key == "clanut"
    assert catalog.search("Clarks")[0].key == "clanut"
    assert catalog.search("grey catbird")[0].key == "grycat"
    assert catalog.search("chuck wills")[0].key == "chwwid"
    assert catalog.search("Rüppell")[0].key == catalog.resolve("RUPPELLS VULTURE").key
    # A name that starts with the query ranks before one that only holds it.
    assert [s.key for s in catalog.search("american")][:2] == ["amegfi", "amered"]
    assert len(catalog.search("a", limit=2)) == 2
    assert catalog.search("") == [] and catalog.search("penguin") == []


def test_the_catalog_iterates_sorted_by_key_and_behaves_like_a_mapping(tmp_path: Path) -> None:
    catalog = build(tmp_path, cub100=["Mallard", "Bobolink", "Gadwall"])
    assert [s.key for s in catalog] == sorted(catalog.keys()) == ["boboli", "gadwal", "mallar3"]
    assert "gadwal" in catalog and "nope" not in catalog and len(catalog) == 3
    with pytest.raises(KeyError):
        catalog["nope"]
    assert catalog.subset(["gadwal"]).keys() == ["gadwal"]


def test_save_and_load_round_trip_as_sorted_json(tmp_path: Path) -> None:
    hints = {"MALLARD DUCK": "Anas platyrhynchos", "CROW": "Corvus"}
    catalog = build(tmp_path, cub100=["Mallard", "Geococcyx"], kaggle=([*hints, EXCLUDED_LABEL], hints))
    path = tmp_path / "catalog.json"
    catalog.save(path)
    loaded = Catalog.load(path)
    assert list(loaded) == list(catalog)
    assert loaded.taxonomy_version == catalog.taxonomy_version
    assert loaded.report == catalog.report
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [s["key"] for s in data["species"]] == sorted(s["key"] for s in data["species"])
    assert data["taxonomy"].startswith("eBird/Clements 2024")
    loaded.save(tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == path.read_text()


def test_main_builds_saves_and_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    make_dataset(tmp_path / "cub100", ["American_Goldfinch", "Geococcyx"])
    make_dataset(tmp_path / "kaggle", ["AMERICAN GOLDFINCH", "DOUBLE BRESTED CORMARANT"])
    out = tmp_path / "out" / "catalog.json"
    assert main(["--data", str(tmp_path / "cub100"), str(tmp_path / "kaggle"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "records: 3 (2 species, 1 genus/family-level)" in printed
    assert "merged across datasets: 1" in printed
    assert "4 resolved, 1 of them by alias" in printed
    assert len(Catalog.load(out)) == 3


# --- the shared datasets ---------------------------------------------------------------------------


@pytest.mark.shared
def test_every_training_label_resolves(shared_catalog: Catalog) -> None:
    report = shared_catalog.report
    assert report.unresolved == []
    # The one reviewed exclusion: Kaggle's joke class of politicians' portraits.
    assert list(report.excluded) == ["gpiosenka525/LOONEY BIRDS"]
    for source, (labels, _) in shared_labels().items():
        for label in labels:
            if f"{source}/{label}" not in report.excluded:
                assert f"{source}/{label}" in shared_catalog.resolve(label, source).dataset_labels
    assert len(report.resolved_by) == 100 + 525 - 1


@pytest.mark.shared
def test_species_in_both_datasets_are_merged(shared_catalog: Catalog) -> None:
    """The README's 36 are the pairs spelled alike up to case and punctuation; matching finds 11 more:
    possessives (Anna's, Clark's), Kaggle misspellings (BROWN CREPPER, GOLD WING WARBLER, GROVED BILLED
    ANI, MALLARD DUCK, PARAKETT AUKLET, VERMILION FLYCATHER, EASTERN WIP POOR WILL), a synonym (Eared /
    BLACK-NECKED GREBE) and a genus (Geococcyx / ROADRUNNER)."""
    merged = shared_catalog.merged()
    assert len(merged) == 47
    assert sum(s.rank == "species" for s in merged) == 46
    letters = {s: {re.sub("[^A-Z]", "", label.upper()) for label in shared_labels()[s][0]} for s in SOURCES}
    alike = letters["cub100"] & letters["gpiosenka525"]
    assert len(alike) == 36
    merged_letters = {
        re.sub("[^A-Z]", "", label.split("/")[1].upper()) for s in merged for label in s.dataset_labels
    }
    assert alike <= merged_letters
    expected = {
        "annhum",
        "clanut",
        "brncre",
        "gowwar",
        "grbani",
        "mallar3",
        "parauk",
        "verfly",
        "easwpw1",
        "eargre",
    }
    assert expected | {"genus-geococcyx"} <= {s.key for s in merged}


@pytest.mark.shared
def test_genus_and_family_labels_of_the_datasets_get_a_higher_rank(shared_catalog: Catalog) -> None:
    expected = {
        "CROW": "genus",
        "ALBATROSS": "family",
        "TOUCHAN": "family",
        "KIWI": "genus",
        "PUFFIN": "genus",
        "COCKATOO": "family",
        "GUINEAFOWL": "family",
        "CASSOWARY": "genus",
        "TIT MOUSE": "family",
        "BIRD OF PARADISE": "family",  # its species.csv hint, Strelitzia, is the plant
    }
    assert {label: shared_catalog.resolve(label, "gpiosenka525").rank for label in expected} == expected
    assert shared_catalog.resolve("Geococcyx", "cub100").key == "genus-geococcyx"
    higher = [s for s in shared_catalog if s.rank != "species"]
    assert all(s.ebird_code is None and s.key.startswith(f"{s.rank}-") for s in higher)
    assert all(s.ebird_code == s.key for s in shared_catalog if s.rank == "species")


@pytest.mark.shared
def test_misspelled_labels_resolve_to_the_right_species(shared_catalog: Catalog) -> None:
    expected = {
        "DOUBLE BRESTED CORMARANT": "Double-crested Cormorant",
        "BRANDT CORMARANT": "Brandt's Cormorant",
        "BLACKBURNIAM WARBLER": "Blackburnian Warbler",
        "TRUMPTER SWAN": "Trumpeter Swan",
        "KILLDEAR": "Killdeer",
        "MANDRIN DUCK": "Mandarin Duck",
        "VERMILION FLYCATHER": "Vermilion Flycatcher",
        "GREATOR SAGE GROUSE": "Greater Sage-Grouse",
        "ALBERTS TOWHEE": "Abert's Towhee",
        "CURL CRESTED ARACURI": "Curl-crested Aracari",
        # species.csv is wrong for these three; the label's own name wins.
        "AMERICAN AVOCET": "American Avocet",
        "WATTLED LAPWING": "Wattled Lapwing",
        "GILDED FLICKER": "Gilded Flicker",
    }
    got = {label: shared_catalog.resolve(label, "gpiosenka525").common_name for label in expected}
    assert got == expected


@pytest.mark.shared
def test_every_alias_is_used_and_changes_what_matching_alone_finds(shared_catalog: Catalog) -> None:
    labels = {label: hints.get(label) for labels, hints in shared_labels().values() for label in labels}
    tax = taxonomy()
    for label, target in ALIASES.items():
        assert label in labels, f"alias for {label!r}, which no dataset has"
        hint = labels[label]
        automatic = tax.match([label], [hint] if hint else [], use_aliases=False)
        assert automatic is None or automatic.taxon.key != tax.lookup(target).key, (
            f"{label}: alias not needed"
        )
    assert set(EXCLUDED) <= set(labels)


@pytest.mark.shared
def test_search_finds_species_of_the_real_catalog(shared_catalog: Catalog) -> None:
    names = [s.common_name for s in shared_catalog.search("goldfinch")]
    assert names[:2] == ["American Goldfinch", "European Goldfinch"]
    assert shared_catalog.search("parus major")[0].common_name == "Great Tit"
    assert shared_catalog.search("Diomedeidae")[0].key == "family-diomedeidae"


@pytest.mark.shared
def test_the_shipped_catalog_json_matches_a_fresh_build(shared_catalog: Catalog, tmp_path: Path) -> None:
    shared_catalog.save(tmp_path / "fresh.json")
    fresh = (tmp_path / "fresh.json").read_text(encoding="utf-8")
    rebuild = "python -m classifier catalog --data ../shared/datasets/birds/{cub100,gpiosenka525}"
    rebuild += " --out classifier/catalog/catalog.json"
    assert DEFAULT_PATH.read_text(encoding="utf-8") == fresh, f"stale: rebuild it with {rebuild}"


def test_training_photos_are_kept_per_record_and_survive_a_save(tmp_path: Path) -> None:
    catalog = build(tmp_path, cub100=["American_Goldfinch", "Blue_Jay"])
    counted = catalog.with_training_photos({"amegfi": 4, "blujay": 49})
    counted.save(tmp_path / "counted.json")
    loaded = Catalog.load(tmp_path / "counted.json")
    assert (loaded["amegfi"].training_photos, loaded["blujay"].training_photos) == (4, 49)
    assert catalog["amegfi"].training_photos is None  # the catalog it came from is unchanged
