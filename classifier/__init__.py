"""Bird-species classifier: MobileNet v1 ImageNet features with a trained species head.

Importing this package is cheap (no TensorFlow); ``load()`` builds the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from classifier.serving.images import InvalidImage, open_image
from classifier.serving.integrity import ModelDamaged

if TYPE_CHECKING:
    from classifier.catalog import Catalog
    from classifier.serving.inference import Classifier

__all__ = [
    "Classifier",
    "InvalidImage",
    "ModelDamaged",
    "default_catalog",
    "default_model_dir",
    "load",
    "open_image",
]


def load(model_dir=None, **options) -> Classifier:
    """``classifier.serving.inference.load``: keyword options ``engine``, ``precision``, ``threads``, ``tta``,
    ``batch_size`` (never read from the environment)."""
    from classifier.serving.inference import load as _load

    return _load(model_dir, **options)


def default_model_dir():
    from classifier.serving.config import default_model_dir as _default

    return _default()


def default_catalog() -> Catalog:
    """The shipped model's species catalog, without loading TensorFlow."""
    from classifier.catalog import Catalog

    return Catalog.load(default_model_dir() / "catalog.json")


def __getattr__(name: str):
    if name == "Classifier":
        from classifier.serving.inference import Classifier

        return Classifier
    raise AttributeError(name)
