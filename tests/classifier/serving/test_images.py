"""Decoding and preprocessing shared by training and serving."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from classifier.serving import images


def encode(image: Image.Image, fmt: str = "JPEG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def test_it_turns_any_mode_into_rgb():
    for mode in ("L", "RGBA", "P", "CMYK", "I;16", "1", "LA"):
        image = Image.new(mode, (40, 30))
        assert images.open_image(image).mode == "RGB", mode


def test_it_applies_the_exif_orientation():
    wide = Image.new("RGB", (60, 20), (200, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise
    opened = images.open_image(encode(wide, exif=exif.tobytes()))
    assert opened.size == (20, 60)


def test_it_rejects_bytes_that_are_not_an_image():
    with pytest.raises(images.InvalidImage, match="not a readable image"):
        images.open_image(b"this is a text file renamed to .jpg")


def test_it_rejects_a_truncated_jpeg():
    data = encode(Image.new("RGB", (300, 300), (0, 90, 0)))
    with pytest.raises(images.InvalidImage):
        images.open_image(data[: len(data) // 3])


def test_it_refuses_a_decompression_bomb_before_decoding(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 100 * 100)
    with pytest.raises(images.InvalidImage, match="over the limit"):
        images.open_image(encode(Image.new("RGB", (200, 200))))


def test_training_and_serving_produce_the_same_pixels(tmp_path):
    """The trainer reads paths, the service gets bytes or PIL images: all three must match exactly."""
    rng = np.random.default_rng(1)
    photo = Image.fromarray(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8))
    data = encode(photo, quality=90)
    path = tmp_path / "bird.jpg"
    path.write_bytes(data)
    from_path = images.to_array(images.open_image(path))
    from_bytes = images.to_array(images.open_image(data))
    from_pil = images.to_array(images.open_image(Image.open(io.BytesIO(data))))
    assert from_path.shape == (images.INPUT_SIZE, images.INPUT_SIZE, 3)
    np.testing.assert_array_equal(from_path, from_bytes)
    np.testing.assert_array_equal(from_path, from_pil)


def test_preprocessing_matches_keras_mobilenet():
    from keras.applications import mobilenet

    batch = np.random.default_rng(2).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    expected = mobilenet.preprocess_input(batch.astype(np.float32))
    np.testing.assert_allclose(images.preprocess(batch), expected, atol=1e-6)


def test_preprocessing_into_an_engines_buffer_gives_the_same_values_as_training():
    batch = np.random.default_rng(2).integers(0, 256, (3, 224, 224, 3), dtype=np.uint8)
    out = np.empty(batch.shape, np.float32)
    assert images.preprocess(batch, out=out) is out
    np.testing.assert_array_equal(out, images.preprocess(batch))
    assert images.preprocess(batch).dtype == np.float32


def test_a_decoded_batch_equals_the_images_decoded_one_by_one(tmp_path):
    rng = np.random.default_rng(4)
    items = [encode(Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8))) for _ in range(3)]
    expected = np.stack([images.to_array(images.open_image(item)) for item in items])
    np.testing.assert_array_equal(images.load_batch(items), expected)
