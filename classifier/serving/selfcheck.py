"""A loaded model checks itself before it serves: known inputs must give their known answers.

When a model is made (``seal``), the TensorFlow reference runs on ``engines.probe_batch()`` (deterministic
photo-like inputs) and its species logits and bird scores are written to ``selfcheck.json`` in the model
directory. At every load the serving engine runs the same inputs and must give the same answers: within the
float parity tolerance for float engines, closely correlated logits and the same bird-gate side for int8.
This catches what checksums cannot: base weights or a conversion that are whole but wrong (two installs
that raced, a cache built by a broken converter), and an engine that answers every photo alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifier.serving import engines, integrity
from classifier.serving.calibration import softmax

FILE = "selfcheck.json"
# Float engines: the LiteRT/TensorFlow parity tolerance, a little wider for threads' summation order.
FLOAT_PROB_TOLERANCE = 5e-3
# int8: the shipped model's probes measured a logit correlation of 0.9935-0.9956 with the reference and
# bird scores within 1e-4; random or NaN weights give near 0.
INT8_MIN_CORRELATION = 0.97
INT8_BIRD_TOLERANCE = 0.05


@dataclass(frozen=True)
class Fingerprint:
    species: np.ndarray  # (n, classes) logits of the reference
    bird_scores: np.ndarray  # (n,)

    @classmethod
    def read(cls, model_dir: Path) -> Fingerprint:
        path = model_dir / FILE
        if not path.is_file():
            raise integrity.ModelDamaged(f"model {model_dir} has no {FILE}: it cannot check itself")
        raw = json.loads(path.read_text())
        return cls(np.asarray(raw["species_logits"], np.float64), np.asarray(raw["bird_scores"], np.float64))


def bird_scores(config: Any, imagenet_logits: np.ndarray) -> np.ndarray:
    return softmax(imagenet_logits)[:, list(config.bird_classes)].sum(axis=1)


def record(config: Any, reference: engines.Engine) -> Path:
    """Run ``reference`` (TensorFlow) on the probes and write what it answered into the model directory."""
    species, imagenet = reference(engines.probe_batch())
    path = config.path / FILE
    payload = {
        "about": "species logits and bird scores of the TensorFlow reference on engines.probe_batch()",
        "species_logits": np.round(species, 5).tolist(),
        "bird_scores": np.round(bird_scores(config, imagenet), 6).tolist(),
    }
    integrity.write_atomically(path, json.dumps(payload).encode())
    return path


def failures(config: Any, engine: engines.Engine, expected: Fingerprint) -> list[str]:
    """What is wrong with ``engine``'s answers to the probes (empty when it answers as recorded)."""
    species, imagenet = engine(engines.probe_batch())
    if species.shape != expected.species.shape:
        return [f"answers {species.shape[1:]} classes, the model has {expected.species.shape[1:]}"]
    if not (np.isfinite(species).all() and np.isfinite(imagenet).all()):
        return ["answers with NaN or infinite numbers"]
    birds = bird_scores(config, imagenet)
    found = []
    if np.ptp(species, axis=0).max() < 1e-6 * max(1.0, float(np.ptp(expected.species, axis=0).max())):
        found.append("answers every input alike")
    probs = softmax(species, config.temperature)
    ref_probs = softmax(expected.species, config.temperature)
    if engine.name not in ("litert", "tensorflow"):  # int8 and uint8 engines: close, not equal
        centred = species - species.mean(axis=1, keepdims=True)
        ref = expected.species - expected.species.mean(axis=1, keepdims=True)
        norms = np.linalg.norm(centred, axis=1) * np.linalg.norm(ref, axis=1) + 1e-12
        corr = (centred * ref).sum(1) / norms
        if corr.min() < INT8_MIN_CORRELATION:
            found.append(f"species logits correlate {corr.min():.3f} < {INT8_MIN_CORRELATION} with recorded")
        if np.abs(birds - expected.bird_scores).max() > INT8_BIRD_TOLERANCE:
            found.append(f"bird scores differ by {np.abs(birds - expected.bird_scores).max():.3f}")
    else:
        diff = float(np.abs(probs - ref_probs).max())
        if diff > FLOAT_PROB_TOLERANCE:
            found.append(f"probabilities differ from the recorded by {diff:.4f} > {FLOAT_PROB_TOLERANCE}")
        if (probs.argmax(1) != ref_probs.argmax(1)).any():
            found.append("a different top species than recorded")
        if np.abs(birds - expected.bird_scores).max() > FLOAT_PROB_TOLERANCE:
            found.append(f"bird scores differ by {np.abs(birds - expected.bird_scores).max():.4f}")
    return found


def verify(config: Any, engine: engines.Engine) -> None:
    """Raise ``ModelDamaged`` unless ``engine`` answers the probes as the reference did when sealed."""
    found = failures(config, engine, Fingerprint.read(config.path))
    if found:
        raise integrity.ModelDamaged(
            f"model {config.version} on engine {engine.name} fails its self-check: {'; '.join(found)} "
            "(damaged base weights or converted files: `python -m classifier fetch-weights --force` rebuilds)"
        )
