"""A damaged model or cache file never answers: concurrent builders, truncated and bit-flipped files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import classifier
from classifier.serving import engines, integrity, selfcheck, weights
from classifier.serving.config import ModelConfig, default_model_dir
from tests.classifier.conftest import V1_MODEL

REPO = Path(__file__).resolve().parents[3]


def flip_a_bit(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0x10
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def random_patch(path: Path) -> None:
    """64 KiB of random bytes in the middle, as the outside probe wrote them."""
    data = bytearray(path.read_bytes())
    at = len(data) // 2
    data[at : at + 65536] = os.urandom(65536)
    path.write_bytes(bytes(data))


# --- the cache rules, without a model ---------------------------------------------------------


def test_concurrent_builders_build_once_and_every_reader_gets_the_whole_file(tmp_path):
    target = tmp_path / "cache" / "file.bin"
    builds = []

    def build(partial: Path) -> None:
        builds.append(partial)
        with open(partial, "wb") as handle:
            for _ in range(64):  # slowly, so the others arrive while it writes
                handle.write(os.urandom(1 << 14))
                time.sleep(0.002)

    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(lambda _: integrity.ensure_cached(target, build), range(8)))
    assert len(builds) == 1
    assert paths == [target] * 8
    assert target.stat().st_size == 64 << 14
    assert integrity.is_sealed(target)
    assert not [p for p in target.parent.iterdir() if "partial" in p.name]


@pytest.mark.parametrize("damage", [truncate, flip_a_bit], ids=["truncated", "bit-flipped"])
def test_a_damaged_cached_file_is_built_again(tmp_path, damage):
    target = tmp_path / "file.bin"
    content = os.urandom(4096)
    integrity.ensure_cached_bytes(target, lambda: content)
    damage(target)
    assert not integrity.is_sealed(target)
    integrity.ensure_cached_bytes(target, lambda: content)
    assert target.read_bytes() == content


def test_a_failed_build_leaves_neither_the_file_nor_a_partial(tmp_path):
    target = tmp_path / "file.bin"

    def build(partial: Path) -> None:
        partial.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        integrity.ensure_cached(target, build)
    assert list(tmp_path.iterdir()) == [tmp_path / ".file.bin.lock"]


def test_a_cached_file_without_its_seal_is_not_trusted(tmp_path):
    target = tmp_path / "file.bin"
    target.write_bytes(b"written by an older version, or half by a crashed one")
    integrity.ensure_cached_bytes(target, lambda: b"right")
    assert target.read_bytes() == b"right"


@pytest.fixture
def model_copy(tmp_path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(V1_MODEL, copy, ignore=shutil.ignore_patterns("evaluation"))
    return copy


def test_a_sealed_model_verifies(model_copy):
    integrity.verify_model(model_copy)


@pytest.mark.parametrize("name", ["head.weights.h5", "config.json", "catalog.json", "selfcheck.json"])
def test_a_model_with_a_bit_flipped_file_is_refused_naming_the_file(model_copy, name):
    flip_a_bit(model_copy / name, at=0.9)
    with pytest.raises(integrity.ModelDamaged, match=name):
        integrity.verify_model(model_copy)


def test_a_model_without_checksums_or_with_a_missing_file_is_refused(model_copy):
    (model_copy / "catalog.json").unlink()
    with pytest.raises(integrity.ModelDamaged, match="missing"):
        integrity.verify_model(model_copy)
    (model_copy / integrity.SUMS_FILE).unlink()
    with pytest.raises(integrity.ModelDamaged, match="SHA256SUMS"):
        integrity.verify_model(model_copy)


# --- the real model ---------------------------------------------------------------------------


@pytest.mark.model
def test_loading_a_model_with_a_damaged_head_fails_loudly_and_never_serves(model_copy):
    flip_a_bit(model_copy / "head.weights.h5", at=0.7)
    with pytest.raises(classifier.ModelDamaged, match="head.weights.h5"):
        classifier.load(model_copy, engine="litert")


class Scrambled:
    """An engine whose species logits are another photo's: whole files, wrong answers."""

    name = "litert"

    def __init__(self, inner: engines.Engine) -> None:
        self.inner = inner

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        species, imagenet = self.inner(batch)
        return species[::-1], imagenet


@pytest.mark.model
def test_an_engine_that_answers_wrongly_fails_the_self_check():
    config = ModelConfig.read(V1_MODEL)
    engine = engines.TensorFlowEngine(config)
    expected = selfcheck.Fingerprint.read(config.path)
    assert selfcheck.failures(config, engine, expected) == []
    assert selfcheck.failures(config, Scrambled(engine), expected)

    def alike(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        species, imagenet = engine(batch)
        return np.repeat(species[:1], len(batch), 0), np.repeat(imagenet[:1], len(batch), 0)

    alike.name = "int8"  # type: ignore[attr-defined]
    assert "answers every input alike" in selfcheck.failures(config, alike, expected)  # type: ignore[arg-type]


@pytest.fixture
def private_cache(tmp_path, monkeypatch) -> Path:
    """A copy of this machine's cache, for one test to damage."""
    cache = tmp_path / "cache"
    shutil.copytree(weights.cache_dir(), cache, ignore=shutil.ignore_patterns("*.lock", "*int8*"))
    monkeypatch.setenv("BIRDSITE_CACHE", str(cache))
    return cache


@pytest.mark.model
@pytest.mark.parametrize(
    "damage", [truncate, flip_a_bit, random_patch], ids=["truncated", "bit-flipped", "64-KiB-random"]
)
def test_a_damaged_litert_file_in_the_cache_is_converted_again_and_answers_right(
    private_cache, bird_photo, damage
):
    config = ModelConfig.read(V1_MODEL)
    flatbuffer = engines.cached_model_file(config, "float32")
    classifier.load(V1_MODEL, engine="litert")  # converted and sealed (or already so)
    damage(flatbuffer)
    assert not integrity.is_sealed(flatbuffer)
    clf = classifier.load(V1_MODEL, engine="litert")
    assert integrity.is_sealed(flatbuffer)  # converted again (the converter's bytes vary run to run)
    [result] = clf.predict([bird_photo])
    assert result.predictions[0].label == "blujay"


@pytest.mark.model
def test_a_whole_but_wrong_conversion_fails_the_self_check_and_is_converted_again(private_cache, bird_photo):
    config = ModelConfig.read(V1_MODEL)
    classifier.load(V1_MODEL, engine="litert")
    flatbuffer = engines.cached_model_file(config, "float32")
    # Another model's conversion, sealed as if it were this one's: only the self-check can tell.
    other = ModelConfig.read(V1_MODEL.parent / "2026.11.29-mnv1-b13")
    other_file, _ = engines.ensure_litert_model(other)
    shutil.copyfile(other_file, flatbuffer)
    integrity.seal(flatbuffer)
    clf = classifier.load(V1_MODEL, engine="litert")
    assert selfcheck.failures(config, clf._engine, selfcheck.Fingerprint.read(config.path)) == []
    [result] = clf.predict([bird_photo])
    assert result.predictions[0].label == "blujay"


@pytest.mark.model
@pytest.mark.shared
def test_two_fetch_weights_at_once_into_an_empty_cache_give_weights_that_name_birds_right(
    tmp_path, monkeypatch, birds_dir
):
    cache = tmp_path / "empty-cache"
    env = {**os.environ, "BIRDSITE_CACHE": str(cache), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "classifier", "fetch-weights"]
    runs = [subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [run.communicate(timeout=600)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    assert integrity.is_sealed(cache / weights.WEIGHTS_FILENAME)
    assert sum("converted ImageNet MobileNet weights" in e for e in errors) == 1, errors

    monkeypatch.setenv("BIRDSITE_CACHE", str(cache))
    species = ["Blue_Jay", "American_Goldfinch", "Mallard", "Scarlet_Tanager"]
    photos = [sorted((birds_dir / "cub100" / name).iterdir())[0] for name in species]
    results = classifier.load(engine="tensorflow").predict(photos)
    labels = [r.predictions[0].label for r in results]
    assert len(set(labels)) == len(species), labels
    assert all(r.is_bird for r in results)
    assert labels[0] == "blujay" and labels[1] == "amegfi", labels


def test_the_shipped_model_with_a_bit_flipped_union_head_is_refused(tmp_path):
    copy = tmp_path / "shipped"
    shutil.copytree(default_model_dir(), copy, ignore=shutil.ignore_patterns("evaluation"))
    integrity.verify_model(copy)
    flip_a_bit(copy / "union_head.npz", at=0.6)
    with pytest.raises(integrity.ModelDamaged, match="union_head.npz"):
        classifier.load(copy)
