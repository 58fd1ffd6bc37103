"""The shape of the code: no import cycle among the apps, ``workers/`` and the modules of ``classifier/``
(imports inside functions count), ``classifier/`` without Django, and no module past ~400 lines."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("birdsite", "workers", "classifier")
MAX_LINES = 400


def unit(module: str) -> str:
    """What must not take part in a cycle: an app (or top-level module) of birdsite, workers as a whole,
    and each module of classifier."""
    parts = module.split(".")
    if parts[0] == "workers":
        return "workers"
    return ".".join(parts[:2])


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    sys.path.insert(0, str(ROOT))
    try:
        return grimp.build_graph(*PACKAGES, cache_dir=None)
    finally:
        sys.path.remove(str(ROOT))


def unit_edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = unit(module), unit(imported)
            if a != b:
                edges.setdefault(a, set()).add(b)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_it_is_shown() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_app_workers_or_classifier_module_imports_in_a_cycle(graph: grimp.ImportGraph) -> None:
    found = cycles(unit_edges(graph))
    assert found == [], f"import cycles between {found}"


def test_the_classifier_imports_no_django(graph: grimp.ImportGraph) -> None:
    offenders = [
        (m, chain)
        for m in graph.modules
        if m.startswith("classifier")
        for chain in [graph.find_modules_directly_imported_by(m)]
        if any(name.startswith(("birdsite", "workers")) for name in chain)
    ]
    assert offenders == []
    sys.path.insert(0, str(ROOT))
    try:
        external = grimp.build_graph("classifier", include_external_packages=True, cache_dir=None)
    finally:
        sys.path.remove(str(ROOT))
    assert not {m for m in external.modules if m.split(".")[0] in ("django", "rest_framework", "celery")}


def _modules(root: Path) -> Iterable[Path]:
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_no_module_passes_the_line_budget() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules(ROOT)
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


# What the web side (the apps and ``workers/``) may import of the classifier: the package's own surface
# (``load``, ``InvalidImage``, ``ModelDamaged``, ``default_model_dir``, ``default_catalog``), the typed
# result contract, the catalog, and the one entry point of retraining from review corrections.
CLASSIFIER_SURFACE = {
    "classifier",
    "classifier.result",
    "classifier.catalog",
    "classifier.names",
    "classifier.corrections",
    "classifier.train",
}


def test_the_web_side_uses_only_the_classifiers_public_surface(graph: grimp.ImportGraph) -> None:
    reached = {
        (module, imported)
        for module in graph.modules
        if module.startswith(("birdsite", "workers"))
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.split(".")[0] == "classifier" and imported not in CLASSIFIER_SURFACE
    }
    assert reached == set(), f"past the classifier's surface: {sorted(reached)}"
