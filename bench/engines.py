"""Engines at batch 1 and 32 beside Keras ``model.predict`` on one image (the original Flask app's way).

    .venv/bin/python bench/engines.py [--model-dir DIR] [--seconds 8] > bench/engines.json

Prints one JSON document. Each result carries ``x_baseline`` (against the Keras single-image predict
measured in the same run) and ``of_ceiling`` (against 120 images/s); the load average goes with it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from common import beside, machine, peak_rss_mb, photos, timed  # noqa: E402

from classifier import engines, images  # noqa: E402
from classifier.config import ModelConfig, Options, default_model_dir  # noqa: E402
from classifier.engines import TensorFlowEngine  # noqa: E402
from classifier.inference import Classifier  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    model_dir = args.model_dir or default_model_dir()
    config = ModelConfig.read(model_dir)
    batch = images.load_batch(photos(32))
    one = batch[:1]
    out: dict = {"machine": machine(), "model": config.version, "tta_flip_in_model": config.tta_flip}

    base, path = tensorflow_part(config, batch, args.seconds, out)
    out["litert_parity"] = json.loads(path.with_suffix(".json").read_text())
    lite = engines.LiteRTEngine(path)
    out["litert_threads"] = lite.num_threads
    out["litert_chunk"] = lite.chunk
    out["litert_batch1"] = beside(timed(lambda: lite(one), images_per_call=1, seconds=args.seconds), base)
    out["litert_batch32"] = beside(timed(lambda: lite(batch), images_per_call=32, seconds=args.seconds), base)
    lite.chunk = 32  # for comparison: the whole batch as one invoke
    out["litert_batch32_as_one_invoke"] = beside(
        timed(lambda: lite(batch), images_per_call=32, seconds=args.seconds), base
    )
    # The whole classifier as the workers call it (calibration, gate, and the model's flip TTA or not).
    clf = Classifier(model_dir, Options(engine="litert"))
    for tta in (True, False):
        clf.tta_flip = tta
        out[f"classifier_litert_batch32_tta_{'on' if tta else 'off'}"] = beside(
            timed(lambda: clf.predict_arrays(batch), images_per_call=32, seconds=args.seconds), base
        )
    out["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    out["peak_rss_mb_this_process"] = peak_rss_mb()
    print(json.dumps(out, indent=2))
    return 0


def tensorflow_part(config: ModelConfig, batch: np.ndarray, seconds: float, out: dict) -> tuple[float, Path]:
    """Keras predict on one image (the baseline) and the TensorFlow engine; converts for LiteRT too."""
    tf_engine = TensorFlowEngine(config)
    one = batch[:1]
    baseline = timed(
        lambda: tf_engine.keras_model.predict(images.preprocess(one), verbose=0),
        images_per_call=1,
        seconds=seconds,
    )
    base = baseline["images_per_s"]
    out["keras_predict_1_baseline"] = beside(baseline, base)
    out["tensorflow_batch1"] = beside(timed(lambda: tf_engine(one), images_per_call=1, seconds=seconds), base)
    out["tensorflow_batch32"] = beside(
        timed(lambda: tf_engine(batch), images_per_call=32, seconds=seconds), base
    )
    path, _ = engines.ensure_litert_model(config, reference=tf_engine)
    return base, path


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    raise SystemExit(main())
