"""The species catalog as the web side sees it: the default model's catalog, loaded once."""

from __future__ import annotations

import functools
import logging
from typing import Any

from birdsite.served import configured_model_dir

log = logging.getLogger(__name__)


@functools.cache
def model_catalog() -> Any:
    """``classifier.catalog.Catalog`` of the configured model (``birdsite.served.configured_model_dir``).

    Cheap: reads the model directory's catalog.json, never imports TensorFlow.
    """
    from classifier.catalog import Catalog

    return Catalog.load(configured_model_dir() / "catalog.json")


@functools.cache
def get_catalog() -> Any:
    """What people name sightings from: every eBird/Clements species, plus the served model's records
    (its genus/family classes too), so a birder can record any species, not only those the model knows."""
    from classifier.catalog.names import full_catalog

    return full_catalog(model_catalog())


def _catalog_or_none() -> Any | None:
    """The pages still work without a model installed: names come from the stored snapshots."""
    try:
        return get_catalog()
    except (ImportError, OSError, ValueError, KeyError) as exc:
        log.warning("species catalog unavailable: %s", exc)
        return None


def species_get(key: str) -> Any | None:
    catalog = _catalog_or_none() if key else None
    if catalog is None:
        return None
    try:
        return catalog[key]
    except KeyError:
        return None


def species_search(query: str, *, limit: int = 20, user: Any | None = None) -> list[Any]:
    """Species matching ``query`` (names, eBird and banding codes), the likelier ones first among the
    prefix matches: those the served model knows and those already on ``user``'s own list."""
    query = query.strip()
    catalog = _catalog_or_none() if query else None
    if catalog is None:
        return []
    return list(catalog.search(query, limit=limit, prefer=_likely_keys(user)))


def _likely_keys(user: Any | None) -> set[str]:
    keys = set(model_keys())
    if user is not None and user.is_authenticated:
        from birdsite.sightings.models import Sighting

        keys |= set(
            Sighting.objects.filter(owner_id=user.pk)
            .exclude(species_key="")
            .values_list("species_key", flat=True)
            .distinct()
        )
    return keys


def model_keys() -> frozenset[str]:
    """Catalog keys of the classes the served model knows (empty when no model is installed)."""
    try:
        return frozenset(model_catalog().keys())
    except (ImportError, OSError, ValueError, KeyError) as exc:
        log.warning("model catalog unavailable: %s", exc)
        return frozenset()


def display_name(key: str, name: str = "") -> str:
    """What a page shows for a catalog key: the stored name, else the catalog's, else a readable form of
    a higher taxon's key ("genus-zanda" -> "Zanda (genus)") — never the bare code."""
    if name:
        return name
    species = species_get(key)
    if species is not None and species.common_name:
        return str(species.common_name)
    rank, sep, rest = key.partition("-")
    if sep and rank in ("genus", "family", "order") and rest:
        return f"{rest.replace('-', ' ').capitalize()} ({rank})"
    return key
