"""The species catalog: every class the model knows, as a record of the eBird/Clements taxonomy."""

from __future__ import annotations

import argparse
import csv
import difflib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import quote

import birdnames
from birdnames.utils import TAXONOMIES, load_taxonomy

from classifier.aliases import ALIASES, EXCLUDED, GROUP_NAMES

DEFAULT_PATH = Path(__file__).parent / "data" / "catalog.json"
SPLIT_DIRS = {"train", "training", "valid", "val", "validation", "test"}
HINT_FILE = "species.csv"
# Other authorities in birdnames bridge names eBird does not use: BirdLife's "Black-necked Grebe" is
# eBird's Eared Grebe, AviList keeps "Aulacorhynchus caeruleogularis" as a subspecies.
SYNONYM_AUTHORITIES = ("avilist", "birdlife", "bbl", "ibp")
Index = dict[str, set[str]]  # compare key -> taxon keys; more than one is ambiguous


@dataclass(frozen=True)
class Species:
    """One class of the model: a species, or a genus/family where a dataset labels no finer."""

    key: str
    common_name: str
    scientific_name: str
    ebird_code: str | None
    rank: str
    wikipedia_url: str
    dataset_labels: tuple[str, ...] = ()


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

    def to_species(self, labels: Iterable[str]) -> Species:
        # English Wikipedia titles bird species by English name, genera and families by Latin name.
        title = self.common_name if self.rank == "species" else self.scientific_name
        url = "https://en.wikipedia.org/wiki/" + quote(title.replace(" ", "_"), safe="_'(),-.")
        return Species(
            self.key, self.common_name, self.scientific_name, self.ebird_code, self.rank, url,
            tuple(sorted(labels)),
        )  # fmt: skip


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


class ExcludedLabel(KeyError):
    """A dataset label reviewed as no bird taxon (see aliases.EXCLUDED): skip its photos."""


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


@dataclass
class BuildReport:
    """How each dataset label was resolved, for review."""

    resolved_by: dict[str, str] = field(default_factory=dict)  # "source/label" -> method
    unresolved: list[str] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)  # "source/label" -> reason
    notes: list[str] = field(default_factory=list)


class Catalog:
    """The records the model knows, keyed and iterated by `Species.key`."""

    def __init__(
        self, species: Iterable[Species], taxonomy_version: str = "", report: BuildReport | None = None
    ) -> None:
        self._by_key: dict[str, Species] = {}
        self._by_label: dict[str, Species] = {}
        for record in sorted(species, key=lambda s: s.key):
            if record.key in self._by_key:
                raise ValueError(f"duplicate catalog key {record.key!r}")
            self._by_key[record.key] = record
            for label in record.dataset_labels:
                if (other := self._by_label.setdefault(label, record)) is not record:
                    raise ValueError(f"dataset label {label!r} is in both {other.key} and {record.key}")
        self.taxonomy_version = taxonomy_version
        self.report = report or BuildReport()
        self._search_forms = {
            s.key: search_keys(s.common_name) | search_keys(s.scientific_name) for s in self._by_key.values()
        }

    def __getitem__(self, key: str) -> Species:
        return self._by_key[key]

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[Species]:
        return iter(self._by_key.values())

    def keys(self) -> list[str]:
        return list(self._by_key)

    def merged(self) -> list[Species]:
        """Records whose labels come from more than one dataset."""
        return [s for s in self if len({label.split("/")[0] for label in s.dataset_labels}) > 1]

    def subset(self, keys: Iterable[str]) -> Catalog:
        """The records with these keys, e.g. the classes a model was trained on."""
        wanted = set(keys)
        if missing := wanted - self._by_key.keys():
            raise KeyError(f"not in the catalog: {sorted(missing)}")
        labels = {label for k in wanted for label in self._by_key[k].dataset_labels}
        resolved_by = {k: v for k, v in self.report.resolved_by.items() if k in labels}
        report = BuildReport(**{**asdict(self.report), "resolved_by": resolved_by})
        return Catalog((self._by_key[k] for k in wanted), self.taxonomy_version, report)

    def resolve(self, dataset_label: str, source: str | None = None) -> Species:
        """The record for a class folder name; ``source`` is the dataset folder's name."""
        full = f"{source}/{dataset_label}" if source else dataset_label
        if full in self._by_label:
            return self._by_label[full]
        for same in (str.__eq__, lambda a, b: label_key(a) == label_key(b)):  # exact, then loose
            hits = {
                record.key: record
                for label, record in self._by_label.items()
                if source in (None, label.split("/")[0]) and same(label.split("/", 1)[1], dataset_label)
            }
            if len(hits) == 1:
                return next(iter(hits.values()))
            if hits:
                raise KeyError(f"label {dataset_label!r} is ambiguous: {sorted(hits)}; pass its source")
        for label, reason in self.report.excluded.items():
            if label == full or (source is None and label.split("/", 1)[1] == dataset_label):
                raise ExcludedLabel(f"label {dataset_label!r} was excluded from the catalog: {reason}")
        raise KeyError(
            f"label {dataset_label!r} of {source or 'any dataset'} is not in the catalog: rebuild it, or add "
            "a reviewed entry to classifier/aliases.py"
        )

    def search(self, query: str, limit: int = 20) -> list[Species]:
        """Records whose common or scientific name holds ``query``: exact, prefix, word, substring."""
        queries = search_keys(query) - {""}
        scored = []
        for record in self:
            forms = self._search_forms[record.key]
            score = min((_score(q, f) for q in queries for f in forms), default=None)
            if score is not None and score < 5:
                scored.append((score, record.common_name, record.key, record))
        return [s[-1] for s in sorted(scored, key=lambda s: s[:3])[:limit]]

    def save(self, path: Path | str = DEFAULT_PATH) -> None:
        """Write sorted, indented JSON, so that changes read well in a diff."""
        data = {
            "taxonomy": self.taxonomy_version,
            "species": [{**asdict(s), "dataset_labels": list(s.dataset_labels)} for s in self],
            **asdict(self.report),
        }
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
        Path(path).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str = DEFAULT_PATH) -> Catalog:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        records = [Species(**{**s, "dataset_labels": tuple(s["dataset_labels"])}) for s in data["species"]]
        report = BuildReport(**{k: data[k] for k in asdict(BuildReport()) if k in data})
        return cls(records, data.get("taxonomy", ""), report)


def _score(query: str, name: str) -> int:
    # Lower is better, 5 is no match; the squashed form lets "chuckwill" find Chuck-will's-widow.
    hits = (name == query, name.startswith(query), f" {query}" in f" {name}", query in name,
            query.replace(" ", "") in name.replace(" ", ""))  # fmt: skip
    return next((i for i, hit in enumerate(hits) if hit), 5)


def scan_labels(dataset_dir: Path) -> tuple[list[str], dict[str, str]]:
    """Class folder names of a dataset (flat, or inside train/valid/test) and its species.csv hints."""
    dataset_dir = Path(dataset_dir)
    if not dataset_dir.is_dir():
        raise FileNotFoundError(f"dataset folder {dataset_dir} does not exist")
    subdirs = [d for d in dataset_dir.iterdir() if d.is_dir() and not d.name.startswith(".")]
    splits = [d for d in subdirs if d.name.lower() in SPLIT_DIRS]
    class_dirs = [c for s in splits for c in s.iterdir() if c.is_dir()] if splits else subdirs
    labels = sorted({d.name for d in class_dirs if not d.name.startswith(".")})
    hints: dict[str, str] = {}
    if (hint_file := dataset_dir / HINT_FILE).is_file():
        with hint_file.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                label, sci = (row.get("label") or "").strip(), (row.get("scientific_name") or "").strip()
                if label and sci:
                    hints[label] = sci
    return labels, hints


def build_catalog(dataset_dirs: Iterable[Path]) -> Catalog:
    """Resolve every class folder of the datasets to a taxon; labels of one taxon share a record."""
    tax = taxonomy()
    report = BuildReport()
    # A name spelled alike in several datasets is resolved once, with every dataset's hint.
    groups: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
    for directory in dataset_dirs:
        labels, hints = scan_labels(Path(directory))
        for label in labels:
            groups[label_key(label)].append((Path(directory).name, label, hints.get(label)))
    found: dict[str, tuple[Taxon, list[str]]] = {}
    for members in groups.values():
        full = [f"{source}/{label}" for source, label, _ in members]
        labels = [label for _, label, _ in members]
        hints = [hint for *_, hint in members if hint]
        if reason := next((EXCLUDED[label] for label in labels if label in EXCLUDED), None):
            report.excluded.update(dict.fromkeys(full, reason))
        elif match := tax.match(labels, hints):
            report.resolved_by.update(dict.fromkeys(full, match.method))
            found.setdefault(match.taxon.key, (match.taxon, []))[1].extend(full)
            report.notes += _review_notes(tax, match, labels, hints)
        else:
            report.unresolved += full
    for taxon, full in found.values():
        sources = [label.split("/")[0] for label in full]
        for source in sorted({s for s in sources if sources.count(s) > 1}):
            same = [label for label in full if label.startswith(f"{source}/")]
            report.notes.append(f"merged {same} into one record {taxon.key} ({taxon.common_name})")
    report.unresolved.sort()
    report.notes.sort()
    return Catalog((taxon.to_species(full) for taxon, full in found.values()), tax.version, report)


def _review_notes(tax: Taxonomy, match: Match, labels: list[str], hints: list[str]) -> list[str]:
    # Where the hint disagrees, or alone places a label under an unlike name, a person should look.
    notes = []
    for hint in dict.fromkeys(hints):
        other = tax.match([hint], [], use_aliases=False)
        if other is not None and other.taxon.key != match.taxon.key:
            notes.append(
                f"{labels[0]}: kept {match.taxon.key} ({match.taxon.scientific_name}, by {match.method}); "
                f"{HINT_FILE} says {hint!r} = {other.taxon.key}"
            )
    name = match.taxon.common_name
    ratio = difflib.SequenceMatcher(None, label_key(labels[0]), label_key(name)).ratio()
    if match.method.endswith(f"({HINT_FILE})") and ratio < 0.6:
        notes.append(f"{labels[0]}: only {HINT_FILE} places it, as {name} (name likeness {ratio:.2f})")
    return notes


def main(argv: list[str] | None = None) -> int:
    """``--data DIR [DIR...] --out FILE``: build the catalog, save it and print counts."""
    parser = argparse.ArgumentParser(prog="python -m classifier catalog", description=main.__doc__)
    parser.add_argument("--data", nargs="+", type=Path, required=True, help="folder-per-class datasets")
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH, help="catalog JSON to write")
    args = parser.parse_args(argv)
    catalog = build_catalog(args.data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    catalog.save(args.out)
    report, methods = catalog.report, list(catalog.report.resolved_by.values())
    n_species = sum(s.rank == "species" for s in catalog)
    print(f"taxonomy: {catalog.taxonomy_version}")
    print(f"records: {len(catalog)} ({n_species} species, {len(catalog) - n_species} genus/family-level)")
    print(f"merged across datasets: {len(catalog.merged())}")
    print(f"labels: {len(methods)} resolved, {methods.count('alias')} of them by alias")
    print(f"excluded: {len(report.excluded)}, unresolved: {len(report.unresolved)}")
    for note in report.notes:
        print(f"note: {note}")
    for label, reason in report.excluded.items():
        print(f"excluded {label}: {reason}")
    for label in report.unresolved:
        print(f"UNRESOLVED: {label}")
    print(f"wrote {args.out}")
    return 1 if report.unresolved else 0
