"""Decoding and preprocessing shared by training and serving, so both see identical pixels."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

INPUT_SIZE = 224
# Decompression bombs are refused before any pixel is decoded.
MAX_PIXELS = 80_000_000


class InvalidImage(ValueError):
    """The input is not an image this service can read."""


ImageInput = Image.Image | bytes | bytearray | str | Path


def open_image(data: ImageInput) -> Image.Image:
    """Open bytes, a path or a PIL image as an upright RGB image, or raise ``InvalidImage``."""
    if isinstance(data, Image.Image):
        image = data
        # A lazily opened JPEG gets the same reduced-scale decoding as bytes and paths (a no-op once loaded).
        image.draft("RGB", (INPUT_SIZE, INPUT_SIZE))
    else:
        try:
            source = io.BytesIO(bytes(data)) if isinstance(data, bytes | bytearray) else data
            image = Image.open(source)
            if image.width * image.height > MAX_PIXELS:
                raise InvalidImage(f"image is {image.width}×{image.height} pixels, over the limit")
            # JPEG can decode at 1/2, 1/4, 1/8 scale for free; we only need INPUT_SIZE pixels.
            image.draft("RGB", (INPUT_SIZE, INPUT_SIZE))
            image.load()
        except InvalidImage:
            raise
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
        ) as exc:
            raise InvalidImage(f"not a readable image: {exc}") from exc
    # Broken EXIF must not lose the photo: it stays unrotated.
    with contextlib.suppress(Exception):
        image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        image = _to_rgb(image)
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float32)
        peak = float(array.max()) or 1.0
        return Image.fromarray((array / peak * 255).astype(np.uint8)).convert("RGB")
    return image.convert("RGB")


def to_array(image: Image.Image) -> np.ndarray:
    """Resize the whole frame (no crop: the bird may sit anywhere) to a uint8 HxWx3 array."""
    resized = image.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(resized, dtype=np.uint8)


def preprocess(batch: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """MobileNet's input scaling, ``x / 127.5 - 1``, as ``keras.applications.mobilenet.preprocess_input``.

    ``out`` (float32, the batch's shape) receives the result in place, e.g. an inference engine's input
    tensor; the arithmetic is the same float32 divide-then-subtract either way, so the values are identical.
    """
    if out is None:
        return batch.astype(np.float32) / 127.5 - 1.0
    np.divide(batch, np.float32(127.5), out=out, dtype=np.float32)
    np.subtract(out, np.float32(1.0), out=out)
    return out


def load_batch(items: list[ImageInput]) -> np.ndarray:
    """Decode many inputs into one uint8 batch (raises ``InvalidImage`` on the first bad one)."""
    batch = np.empty((len(items), INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
    for i, item in enumerate(items):
        batch[i] = to_array(open_image(item))  # written in place: no list of arrays, no stack copy
    return batch
