"""What the model side tells the pipeline (no models imported here: a worker imports it before setup)."""

from __future__ import annotations


class ModelUnavailable(RuntimeError):
    """The model could not be loaded in this process: every job of the call fails with a plain reason."""


class ImageUnreadable(ValueError):
    """This one photo is not an image the model can decode (given per image by ``processing.Predict``)."""
