"""Inference at the limit of the CPU, in one run (issue 16).

    .venv/bin/python bench/engines.py [--model-dir DIR] [--seconds 6] > bench/engines.json

Prints one JSON document with, measured in the same process:

- ``ceiling``: NumPy's single-precision matrix multiply (GFLOP/s on every core) divided by the served
  graph's real FLOPs per photo (counted from its Keras layers): forward passes per second at GEMM speed;
- ``keras_predict_1_baseline``: Keras ``model.predict`` on one image (the original Flask app's way);
- the TensorFlow engine, float LiteRT and int8 LiteRT at batch 1 and 32, with ``int8_x_float``;
- the whole classifier (``classifier.load(engine=...).predict``: decode, locate, name, calibrate, gate) on
  224-px photos and on 12 MP JPEGs (real photos upscaled into a temporary folder, deleted afterwards).

Every rate has ``x_baseline`` (against the Keras baseline of this run) and ``of_ceiling`` (against the
ceiling of this run); the load average before and after goes with it. The CPU is shared: compare ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from common import beside, keras_flops, machine, peak_rss_mb, photos, sgemm_gflops, timed  # noqa: E402
from PIL import Image  # noqa: E402

import classifier  # noqa: E402
from classifier.serving import engines, images
from classifier.serving.config import ModelConfig, default_model_dir  # noqa: E402
from classifier.training import quantize  # noqa: E402

TWELVE_MP = (4000, 3000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--photos", type=int, default=64, help="224-px photos per classifier call")
    parser.add_argument("--large", type=int, default=8, help="12 MP photos per classifier call")
    args = parser.parse_args()
    model_dir = args.model_dir or default_model_dir()
    config = ModelConfig.read(model_dir)
    paths = photos(max(32, args.photos))
    batch = images.load_batch(paths[:32])
    out: dict = {"machine": machine(), "model": config.version, "tta_in_model": config.tta_flip}
    out["machine"]["int8_dot_product"] = quantize.int8_dot_product()

    tf_engine = engines.TensorFlowEngine(config)
    flops = keras_flops(tf_engine.keras_model)
    sgemm = sgemm_gflops()
    ceiling = sgemm["gflops"] * 1e9 / flops
    out["ceiling"] = {
        **sgemm,
        "model_gflops_per_photo": round(flops / 1e9, 3),
        "passes_per_s": round(ceiling, 1),
    }

    def rate(run, n: int) -> dict:
        return timed(run, images_per_call=n, seconds=args.seconds)

    baseline = rate(lambda: tf_engine.keras_model.predict(images.preprocess(batch[:1]), verbose=0), 1)
    base = baseline["images_per_s"]
    out["keras_predict_1_baseline"] = beside(baseline, base, ceiling)
    for n in (1, 32):
        out[f"tensorflow_batch{n}"] = beside(rate(lambda n=n: tf_engine(batch[:n]), n), base, ceiling)

    float_file, out["litert_parity"] = engines.ensure_litert_model(config, reference=tf_engine)
    int8_file, int8_report = quantize.ensure_int8_model(config, reference=tf_engine)
    out["int8_parity"] = {k: v for k, v in int8_report.items() if k != "model_version"}
    lite = engines.LiteRTEngine(float_file)
    int8 = engines.LiteRTEngine(int8_file, name="int8")
    out["litert_threads"], out["litert_chunk"] = lite.num_threads, lite.chunk
    for name, engine in (("litert", lite), ("int8", int8)):
        for n in (1, 32):
            out[f"{name}_batch{n}"] = beside(rate(lambda e=engine, n=n: e(batch[:n]), n), base, ceiling)
    out["int8_x_float"] = {
        f"batch{n}": {
            "images_per_s": round(
                out[f"int8_batch{n}"]["images_per_s"] / out[f"litert_batch{n}"]["images_per_s"], 2
            ),
            "images_per_cpu_s": round(
                out[f"int8_batch{n}"]["images_per_cpu_s"] / out[f"litert_batch{n}"]["images_per_cpu_s"], 2
            ),
        }
        for n in (1, 32)
    }

    small = paths[: args.photos]
    with tempfile.TemporaryDirectory(prefix="birdsite-12mp-") as tmp:
        large = twelve_megapixel_copies(paths[: args.large], Path(tmp))
        for engine in ("auto", "int8"):
            clf = classifier.load(model_dir, engine=engine)
            key = f"classifier_{engine}"
            out[f"{key}_serves"] = clf.engine_name
            out[f"{key}_224px"] = beside(rate(lambda c=clf: c.predict(small), len(small)), base, ceiling)
            out[f"{key}_12mp"] = beside(rate(lambda c=clf: c.predict(large), len(large)), base, ceiling)
    out["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    out["peak_rss_mb_this_process"] = peak_rss_mb()
    print(json.dumps(out, indent=2))
    return 0


def twelve_megapixel_copies(sources: list[Path], folder: Path) -> list[Path]:
    """Real photos upscaled to 4000×3000 JPEGs (quality 90), as a phone camera writes them."""
    made = []
    for i, source in enumerate(sources):
        with Image.open(source) as image:
            target = folder / f"{i:02d}.jpg"
            image.convert("RGB").resize(TWELVE_MP, Image.Resampling.BICUBIC).save(target, quality=90)
            made.append(target)
    return made


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    raise SystemExit(main())
