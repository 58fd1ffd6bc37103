"""What trains a model: the v1 recipe (``train``, ``fitting``, ``features``; the head's graph is
``classifier/serving/heads.py``, which serving builds too), heads on the iNat backbone (``inat_train``,
``inat_fit``), retraining from review corrections (``corrections``), and the steps that ship a model
(``sealing``, ``quantize``: the int8 file).

The web side imports only this package's root: ``Correction``, ``TrainOptions``,
``train_with_corrections`` and ``listening`` (a running training's progress), resolved on first use so
that importing it stays cheap (no TensorFlow).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from classifier.training.corrections import Correction, train_with_corrections
    from classifier.training.progress import listening
    from classifier.training.recipe import TrainOptions

__all__ = ["Correction", "TrainOptions", "listening", "train_with_corrections"]


def __getattr__(name: str):
    if name in ("Correction", "train_with_corrections"):
        from classifier.training import corrections

        return getattr(corrections, name)
    if name == "listening":
        from classifier.training.progress import listening

        return listening
    if name == "TrainOptions":
        from classifier.training.recipe import TrainOptions

        return TrainOptions
    raise AttributeError(name)
