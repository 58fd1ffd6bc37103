"""The species catalog: every class the model knows, as a record of the eBird/Clements taxonomy."""

from __future__ import annotations

import argparse
import bisect
import csv
import difflib
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

from classifier.catalog.aliases import EXCLUDED
from classifier.catalog.taxonomy import (
    HINT_FILE,
    Match,
    Taxon,
    Taxonomy,
    banding_code,
    label_key,
    search_keys,
    taxonomy,
)
from classifier.catalog.taxonomy import fold as fold  # re-exported: the web folds place names alike

DEFAULT_PATH = Path(__file__).parent / "catalog.json"
BANDING_CODE = 2.5  # a banding code's match: after a name's (word) prefix, before a mere substring
SPLIT_DIRS = {"train", "training", "valid", "val", "validation", "test"}


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
    family: str = ""  # the eBird family (scientific name), for the genus/family fallback
    training_photos: int | None = None  # photos the model learned it from; set by training

    @property
    def genus(self) -> str:
        return "" if self.rank == "family" else self.scientific_name.split()[0]


def species_of(taxon: Taxon, labels: Iterable[str]) -> Species:
    """The catalog record of a taxon, with the dataset labels it holds."""
    # English Wikipedia titles bird species by English name, genera and families by Latin name.
    title = taxon.common_name if taxon.rank == "species" else taxon.scientific_name
    url = "https://en.wikipedia.org/wiki/" + quote(title.replace(" ", "_"), safe="_'(),-.")
    return Species(
        taxon.key, taxon.common_name, taxon.scientific_name, taxon.ebird_code, taxon.rank, url,
        tuple(sorted(labels)), taxon.family,
    )  # fmt: skip


class ExcludedLabel(KeyError):
    """A dataset label reviewed as no bird taxon (see aliases.EXCLUDED): skip its photos."""


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
        # (form, form without spaces, key, is the common name): one flat list the search scans with `in`.
        self._search_forms = [
            (form, form.replace(" ", ""), s.key, common)
            for s in self._by_key.values()
            for names, common in (((s.common_name,), True), ((s.scientific_name, s.ebird_code or ""), False))
            for form in set().union(*map(search_keys, names)) - {""}
        ]
        self._tails: list[tuple[str, int]] | None = None
        # Banding codes (amro): ranked after the names that start with the query, since "crow" and "swan"
        # are words of names before they are the codes of Crested Owl and Spot-winged Antshrike.
        self._banding: dict[str, list[str]] = defaultdict(list)
        for s in self._by_key.values():
            if code := banding_code(s.common_name):
                self._banding[code].append(s.key)

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

    def with_training_photos(self, photos: dict[str, int]) -> Catalog:
        """The same records, each with how many photos the model learned it from."""
        records = (replace(s, training_photos=photos.get(s.key)) for s in self)
        return Catalog(records, self.taxonomy_version, self.report)

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
            "a reviewed entry to classifier/catalog/aliases.py"
        )

    def search(self, query: str, limit: int = 20, prefer: Collection[str] = ()) -> list[Species]:
        """Records whose common or scientific name, eBird code or banding code holds ``query``: exact,
        then name or word prefix, then substring; accents, case, hyphens and apostrophes ignored. Within
        the prefix matches the ``prefer`` keys (what the user more likely means: species the model knows,
        their own list) come first, so "robin" starts with American and European Robin, not Robin
        Accentor; common-name matches first on a tie."""
        queries = [(q, q.replace(" ", "")) for q in search_keys(query) - {""}]
        best: dict[str, tuple[int, bool]] = {}
        # Exact, prefix and word-prefix matches (ranks 0-2) come from a sorted index of word starts. They
        # rank before any mere substring, so the scan of every form is needed only when they are too few
        # to fill the answer: a one-letter query matches thousands of names and used to score them all.
        tails = self._word_starts()
        for q, _ in queries:
            at = bisect.bisect_left(tails, (q,))
            while at < len(tails) and tails[at][0].startswith(q):
                form, _, key, common = self._search_forms[tails[at][1]]
                rank = (_score(q, form), not common)
                if rank < best.get(key, (5, True)):
                    best[key] = rank
                at += 1
        if len(best) < limit:
            self._scan(queries, best)
        self._add_banding(queries, best)
        return self._ordered(best, prefer, limit)

    def _add_banding(self, queries: list[tuple[str, str]], best: dict[str, tuple[float, bool]]) -> None:
        for q, _ in queries:
            for key in self._banding.get(q, ()):
                best[key] = min(best.get(key, (5, True)), (BANDING_CODE, True))

    def _ordered(
        self, best: dict[str, tuple[float, bool]], prefer: Collection[str], limit: int
    ) -> list[Species]:
        preferred = set(prefer)

        def order(item: tuple[str, tuple[float, bool]]) -> tuple:
            key, (score, not_common) = item
            tier = 0 if score == 0 else 1 if score <= 2 else 2  # exact, a prefix of a word, a substring
            return (tier, key not in preferred, score, not_common, self._by_key[key].common_name, key)

        return [self._by_key[key] for key, _ in sorted(best.items(), key=order)[:limit]]

    def _scan(self, queries: list[tuple[str, str]], best: dict[str, tuple[int, bool]]) -> None:
        # A substring test in C over every form first: only the forms that hold the query are scored.
        for form, squashed, key, common in self._search_forms:
            for q, q_squashed in queries:
                if q_squashed in squashed:
                    rank = (_score(q, form), not common)
                    if rank[0] < 5 and rank < best.get(key, (5, True)):
                        best[key] = rank

    def _word_starts(self) -> list[tuple[str, int]]:
        """``(the form from one of its words on, index of the form)``, sorted; built on first search."""
        if self._tails is None:
            self._tails = sorted(
                (form[at:], i)
                for i, (form, *_) in enumerate(self._search_forms)
                for at in [0, *(j + 1 for j, c in enumerate(form) if c == " ")]
            )
        return self._tails

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
    return Catalog((species_of(taxon, full) for taxon, full in found.values()), tax.version, report)


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
