"""What locating costs per photo, beside the whole-photo path, in one run.

    .venv/bin/python bench/locate.py [--photos 8] [--seconds 5] > bench/locate.json

12 MP JPEGs (4000×3000) are made from held-out-style CUB photos pasted into a blurred scene. Printed:
decode of a 12 MP JPEG at full size (the old way for a crop) vs at reduced scale (``draft()``, what
locating reads); the heat-map pass alone; ``Classifier.predict`` with locating vs the whole-photo path
(decode at 224 px + one 224-px pass with the same TTA), as photos/s and the ratio between them.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from common import machine, photos, timed, twelve_megapixel  # noqa: E402
from PIL import Image  # noqa: E402

import classifier  # noqa: E402
from classifier.serving import images, locate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    data = [twelve_megapixel(p, i) for i, p in enumerate(photos(args.photos))]
    clf = classifier.load()
    n = len(data)
    out: dict = {"machine": machine(), "model": clf.model_version, "engine": clf.engine_name, "tta": clf.tta}

    def decode_full() -> None:
        for d in data:
            Image.open(io.BytesIO(d)).convert("RGB").load()

    def decode_reduced() -> None:
        for d in data:
            images.open_photo(d, min_size=352)

    decoded = [images.open_photo(d, min_size=352) for d in data]

    def heat_map() -> None:
        for photo in decoded:
            clf.locator(photo.image)

    def whole_photo() -> None:
        batch = images.load_batch(data)
        clf.predict_arrays(batch, tta="always" if clf.config.tta_flip else "never")

    def with_locating() -> None:
        clf.predict(data)

    for name, run in [
        ("decode_12mp_full", decode_full),
        ("decode_12mp_reduced", decode_reduced),
        ("heat_map_pass", heat_map),
        ("whole_photo_path", whole_photo),
        ("locate_then_name", with_locating),
    ]:
        out[name] = timed(run, images_per_call=n, seconds=args.seconds, min_calls=2)
    out["locate_over_whole_photo_time"] = round(
        out["whole_photo_path"]["images_per_s"] / out["locate_then_name"]["images_per_s"], 2
    )
    out["reduced_over_full_decode_speed"] = round(
        out["decode_12mp_reduced"]["images_per_s"] / out["decode_12mp_full"]["images_per_s"], 2
    )
    sizes = [locate.input_size(*p.size) for p in decoded]
    out["heat_map_input"] = sorted({f"{w}x{h}" for w, h in sizes})
    out["answers_per_photo"] = float(np.mean([len(r.birds) for r in clf.predict(data)]))
    out["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
