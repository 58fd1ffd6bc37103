"""Every species of the eBird/Clements taxonomy as catalog records: what people can name a sighting.

The model knows a few hundred taxa; birders see thousands. Renaming, searching, the life list and the
exports use this catalog; the model's own records (with their dataset labels and training-photo counts)
are part of it, so the model's classes stay a subset.
"""

from __future__ import annotations

from collections.abc import Iterable

from birdnames.utils import TAXONOMIES, load_taxonomy

from classifier.catalog import Catalog, Species, species_of
from classifier.catalog.taxonomy import Taxon


def ebird_species() -> tuple[str, list[Species]]:
    """The newest eBird version in birdnames and every species in it (one CSV: well under a second)."""
    year = max(int(y) for y in TAXONOMIES.loc[TAXONOMIES["authority"] == "ebird", "year"])
    frame = load_taxonomy("ebird", year)
    records = [
        species_of(Taxon("species", sci, common, code, family), ())
        for sci, common, code, family in zip(
            frame["scientific_name"],
            frame["ebird_common_name"],
            frame["ebird_ebird_code"],
            frame["ebird_family"],
            strict=True,
        )
        if isinstance(code, str) and isinstance(common, str)
    ]
    return f"eBird/Clements {year}", records


def full_catalog(model_records: Iterable[Species] = ()) -> Catalog:
    """The model's records, plus every eBird species they do not already hold."""
    version, species = ebird_species()
    own = {record.key: record for record in model_records}
    return Catalog([*own.values(), *(s for s in species if s.key not in own)], version)
