"""Decoding and preprocessing shared by training and serving, so both see identical pixels."""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

INPUT_SIZE = 224
# Decompression bombs are refused before any pixel is decoded.
MAX_PIXELS = 80_000_000


class InvalidImage(ValueError):
    """The input is not an image this service can read."""


ImageInput = Image.Image | bytes | bytearray | str | Path


def open_image(data: ImageInput, *, min_size: int = INPUT_SIZE) -> Image.Image:
    """Open bytes, a path or a PIL image as an upright RGB image, or raise ``InvalidImage``.

    A JPEG is decoded at the smallest of 1/1, 1/2, 1/4, 1/8 scale that keeps both sides >= ``min_size``
    (or at full scale, if that is smaller)."""
    request = (min_size, min_size)
    if isinstance(data, Image.Image):
        image = data
        # A lazily opened JPEG gets the same reduced-scale decoding as bytes and paths (a no-op once loaded).
        image.draft("RGB", request)
    else:
        try:
            source = io.BytesIO(bytes(data)) if isinstance(data, bytes | bytearray) else data
            image = Image.open(source)
            if image.width * image.height > MAX_PIXELS:
                raise InvalidImage(f"image is {image.width}×{image.height} pixels, over the limit")
            # JPEG can decode at 1/2, 1/4, 1/8 scale for free; we only need min_size pixels.
            image.draft("RGB", request)
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


# --- photos read at the resolution each use needs ----------------------------------------------------

Box = tuple[float, float, float, float]  # x, y, width, height as fractions of the upright photo
WHOLE: Box = (0.0, 0.0, 1.0, 1.0)


@dataclass
class Photo:
    """An upright photo decoded small enough to look at as a whole, re-read finer only for its crops.

    ``source`` is kept when it can be decoded again (bytes, a path); a PIL image given by the caller is used
    as it is."""

    image: Image.Image
    source: bytes | bytearray | str | Path | None = None
    _fine: Image.Image | None = field(default=None, repr=False)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size

    def whole(self) -> np.ndarray:
        return to_array(self.image)

    def crops(self, boxes: list[Box], size: int = INPUT_SIZE) -> np.ndarray:
        """Each box resized (squashed, as training photos are) to ``size``×``size``, from one decode fine
        enough to give every box ``size`` pixels on its shorter side where the file has them."""
        image = self._resolution_for(boxes, size)
        out = np.empty((len(boxes), size, size, 3), np.uint8)
        for i, box in enumerate(boxes):
            region = pixel_box(box, image.size)
            out[i] = np.asarray(
                image.resize((size, size), Image.Resampling.BILINEAR, box=region, reducing_gap=2.0),
                dtype=np.uint8,
            )
        return out

    def _resolution_for(self, boxes: list[Box], size: int) -> Image.Image:
        width, height = self.image.size
        need = max(
            [1.0, *(max(size / max(b[2] * width, 1e-6), size / max(b[3] * height, 1e-6)) for b in boxes)]
        )
        if need <= 1.0 or self.source is None:
            return self.image
        if self._fine is None or self._fine.width < width * need:
            # draft() scales both sides alike, so the upright shorter side is what to ask for.
            self._fine = open_image(self.source, min_size=math.ceil(min(width, height) * need))
        return self._fine


def open_photo(data: ImageInput, *, min_size: int = 448) -> Photo:
    """``open_image`` at reduced scale (shorter side >= ``min_size`` where the file has it), keeping the
    source for finer crops. Raises ``InvalidImage``."""
    image = open_image(data, min_size=min_size)
    source = None if isinstance(data, Image.Image) else data
    return Photo(image=image, source=source)


def pixel_box(box: Box, size: tuple[int, int]) -> tuple[float, float, float, float]:
    """A fractional box as PIL's (left, upper, right, lower) in pixels of an image of ``size``."""
    x, y, w, h = box
    return (x * size[0], y * size[1], (x + w) * size[0], (y + h) * size[1])
