"""The eBird/Clements taxonomy of birdnames, indexed for matching dataset labels and names to taxa."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import birdnames
from birdnames.utils import TAXONOMIES, load_taxonomy

from classifier.catalog.aliases import ALIASES, GROUP_NAMES

HINT_FILE = "species.csv"
# Other authorities in birdnames bridge names eBird does not use: BirdLife's "Black-necked Grebe" is
# eBird's Eared Grebe, AviList keeps "Aulacorhynchus caeruleogularis" as a subspecies.
SYNONYM_AUTHORITIES = ("avilist", "birdlife", "bbl", "ibp")
Index = dict[str, set[str]]  # compare key -> taxon keys; more than one is ambiguous


@dataclass(frozen=True)
class Taxon:
    """A taxon of the eBird taxonomy that a label can resolve to."""

    rank: str
    scientific_name: str
    common_name: str
    ebird_code: str | None = None
    family: str = ""

    @property
    def key(self) -> str:
        # Higher ranks have no eBird code; "genus-corvus" cannot clash with one (codes have no hyphen).
        return self.ebird_code or f"{self.rank}-{self.scientific_name.lower()}"


def fold(text: str) -> str:
    """Lower case without accents; typographic apostrophes made plain."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'").replace("\u2018", "'"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def label_key(label: str) -> str:
    """Compare form of a label or name: no case, accents, spaces or punctuation; grey as gray."""
    return re.sub(r"[^a-z0-9]", "", re.sub(r"\bgrey", "gray", fold(label)))


def name_keys(common_name: str) -> set[str]:
    # Datasets spell "Clark's Nutcracker" as Clark_Nutcracker or CLARKS NUTCRACKER: index both.
    return {label_key(common_name), label_key(re.sub(r"'s\b", "", fold(common_name)))}


def sci_key(name: str) -> str:
    return " ".join(re.sub(r"[^a-z ]", " ", fold(name)).split())


def search_keys(text: str) -> set[str]:
    folded = re.sub(r"\bgrey", "gray", fold(text))
    return {
        " ".join(re.sub(r"[^a-z0-9]", " ", t.replace("'", "")).split())
        for t in (folded, re.sub(r"'s\b", "", folded))
    }


def banding_code(common_name: str) -> str:
    """The four-letter alpha code North American bird banders use ("American Robin" -> "amro"), by the
    Bird Banding Laboratory's rule: one word, its first four letters; two, 2 + 2; three, 1 + 1 + 2; four
    or more, the first letter of the first four. Hyphens split words. The BBL's hand-made exceptions (a
    few dozen clashes) are not kept, so a clash finds both species."""
    words = re.sub(r"[^a-z ]", " ", fold(common_name).replace("'s ", " ").replace("'", "")).split()
    if not words:
        return ""
    if len(words) == 1:
        code = words[0][:4]
    elif len(words) == 2:
        code = words[0][:2] + words[1][:2]
    elif len(words) == 3:
        code = words[0][:1] + words[1][:1] + words[2][:2]
    else:
        code = "".join(w[0] for w in words[:4])
    return code if len(code) == 4 else ""


@dataclass(frozen=True)
class Match:
    taxon: Taxon
    method: str


class Taxonomy:
    """Indexes of the newest eBird taxonomy in birdnames, its older versions and other authorities."""

    def __init__(self) -> None:
        years = sorted(int(y) for y in TAXONOMIES.loc[TAXONOMIES["authority"] == "ebird", "year"])
        self.year = years[-1]
        self.version = f"eBird/Clements {self.year} (birdnames {birdnames.__version__})"
        self.taxa: dict[str, Taxon] = {}
        current: Index = defaultdict(set)  # scientific name -> taxon, any rank
        for row in load_taxonomy("ebird", self.year).itertuples(index=False):
            family = row.ebird_family
            taxon = Taxon("species", row.scientific_name, row.ebird_common_name, row.ebird_ebird_code, family)
            self.taxa[taxon.key] = taxon
            current[sci_key(taxon.scientific_name)].add(taxon.key)
            for rank, name in (("genus", row.genus), ("family", family), ("order", row.ebird_order)):
                group = Taxon(rank, name, GROUP_NAMES.get(name, name), None, family)
                self.taxa.setdefault(group.key, group)
                current[sci_key(name)].add(group.key)
        common: Index = defaultdict(set)
        endings: Index = defaultdict(set)  # "royalflycatcher" -> the four "... Royal Flycatcher"
        for taxon in (t for t in self.taxa.values() if t.rank == "species"):
            for k in name_keys(taxon.common_name):
                common[k].add(taxon.key)
            words = fold(taxon.common_name).split()
            for i in range(1, len(words)):
                for k in name_keys(" ".join(words[i:])):
                    endings[k].add(taxon.key)
        # Names several species share ("Crow", "Royal Flycatcher"), and old names a split shared out.
        self.split_names: Index = {k: v for k, v in endings.items() if len(v) > 1 and k not in common}
        self.common_layers: list[tuple[str, Index]] = [(f"common name, eBird {self.year}", common)]
        self.sci_layers: list[tuple[str, Index]] = [(f"scientific name, eBird {self.year}", current)]
        sci_seen = dict(current)
        for year in reversed(years[:-1]):  # newest first, so each older name meets its successor
            self._add_old_ebird(year, sci_seen, endings)
        for authority in SYNONYM_AUTHORITIES:
            self._add_synonyms(authority, current, common)

    def _add_old_ebird(self, year: int, sci_seen: Index, endings: Index) -> None:
        old_common, old_sci = defaultdict(set), defaultdict(set)
        for row in load_taxonomy("ebird", year).itertuples(index=False):
            targets = ({row.ebird_ebird_code} & self.taxa.keys()) | sci_seen.get(
                sci_key(row.scientific_name), set()
            )
            keys = name_keys(row.ebird_common_name)
            if keys.isdisjoint(self.common_layers[0][1]):
                # A name gone from the newest version whose code and scientific name went separate ways
                # (2022's Northern Goshawk), or that ends newer names ("Antillean Euphonia" -> "Lesser
                # Antillean Euphonia"), was shared out by a split: alone it names no one species.
                shared = set().union(targets, *(endings.get(k, set()) for k in keys))
                if len(shared) > 1:
                    for k in keys:
                        self.split_names.setdefault(k, set()).update(shared)
            for k in keys:
                old_common[k].update(targets)
            old_sci[sci_key(row.scientific_name)].update(targets)
        for k, v in old_sci.items():
            sci_seen.setdefault(k, v)
        self.common_layers.append((f"common name, eBird {year}", old_common))
        self.sci_layers.append((f"scientific name, eBird {year}", old_sci))

    def _add_synonyms(self, authority: str, current: Index, common: Index) -> None:
        year = max(int(y) for y in TAXONOMIES.loc[TAXONOMIES["authority"] == authority, "year"])
        syn_common, syn_sci, former = defaultdict(set), defaultdict(set), defaultdict(set)
        frame = load_taxonomy(authority, year)
        for sci, name in zip(frame["scientific_name"], frame[f"{authority}_common_name"], strict=True):
            if not isinstance(sci, str):
                continue
            words = sci_key(sci).split()
            if len(words) == 3:  # a former species kept as a subspecies: "Genus species former"
                former[f"{words[0]} {words[2]}"].update(current.get(" ".join(words[:2]), set()))
            if isinstance(name, str):  # bridge names across by the other name
                for k in name_keys(name):
                    syn_common[k].update(current.get(sci_key(sci), set()))
                syn_sci[sci_key(sci)].update(common.get(label_key(name), set()))
        self.common_layers.append((f"common name, {authority} {year}", syn_common))
        self.sci_layers.append((f"scientific name, {authority} {year}", syn_sci))
        if former:
            self.sci_layers.append((f"former species, {authority} {year} subspecies", former))

    def lookup(self, name: str) -> Taxon:
        """The taxon for an eBird code, or a scientific name of the newest version."""
        if name in self.taxa:
            return self.taxa[name]
        hits = self.sci_layers[0][1].get(sci_key(name), set())
        if len(hits) != 1:
            raise KeyError(f"{name!r} is neither an eBird code nor a scientific name in {self.version}")
        return self.taxa[next(iter(hits))]

    def match(self, labels: Sequence[str], hints: Sequence[str], use_aliases: bool = True) -> Match | None:
        """Resolve the spellings of one name: alias, common name, then scientific name (label, hint)."""
        if use_aliases and (alias := next((ALIASES[lb] for lb in labels if lb in ALIASES), None)):
            return Match(self.lookup(alias), "alias")
        key = label_key(labels[0])
        # A shared name matches only the newest version's exact names; the hint may pick the species.
        layers = self.common_layers[:1] if key in self.split_names else self.common_layers
        for method, index in layers:
            if len(hits := index.get(key, set())) == 1:
                return Match(self.taxa[next(iter(hits))], method)
        for text, origin in [(lb, "label") for lb in labels] + [(h, HINT_FILE) for h in hints]:
            words = sci_key(text).split()
            # A trinomial (subspecies, or a domestic form like "Columba livia domestica") is its species.
            for candidate in dict.fromkeys([" ".join(words), " ".join(words[:2])]):
                for method, index in self.sci_layers:
                    if len(hits := index.get(candidate, set())) == 1:
                        return Match(self.taxa[next(iter(hits))], f"{method} ({origin})")
        if (shared := self.split_names.get(key)) and (group := self.common_group(shared)):
            return Match(group, "name of several species: the genus/family holding them all")
        return None

    def common_group(self, keys: Iterable[str]) -> Taxon | None:
        """The genus, else the family, holding all these species."""
        members = [self.taxa[k] for k in keys]
        for rank, names in (
            ("genus", {t.scientific_name.split()[0] for t in members}),
            ("family", {t.family for t in members}),
        ):
            if len(names) == 1:
                return self.taxa.get(f"{rank}-{names.pop().lower()}")
        return None


@cache
def taxonomy() -> Taxonomy:
    """The taxonomy, loaded once (about a second of CSV parsing)."""
    return Taxonomy()
