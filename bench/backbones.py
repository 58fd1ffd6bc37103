"""One photo through the whole classifier, v1 recipe against the iNat backbone, in one run (issue 25).

    .venv/bin/python bench/backbones.py [--seconds 6] > bench/backbones.json

The same 224-px photos and 12 MP JPEGs, one at a time through ``classifier.load(...).predict`` (decode,
locate, name, calibrate, gate): the v1 model on float LiteRT (the path the target is set against), the v1
model on ``auto``, and the iNat-backbone model. Ratios are against float v1 of this run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, photos, timed, twelve_megapixel  # noqa: E402

import classifier  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "classifier" / "models"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--v1", default=str(MODELS / "2026.12.02-mnv1-all"))
    parser.add_argument("--inat", default=str(MODELS / "2026.12.07-inat-all"))
    args = parser.parse_args()
    small = [p.read_bytes() for p in photos(24)]
    large = [twelve_megapixel(p, seed) for seed, p in enumerate(photos(6))]
    runs = {
        "v1_float_litert": classifier.load(args.v1, engine="litert"),
        "v1_auto": classifier.load(args.v1),
        "inat": classifier.load(args.inat),
    }
    report: dict = {"machine": machine(), "engines": {k: c.engine_name for k, c in runs.items()}}
    for label, inputs in (("photo_224px", small), ("photo_12mp", large)):
        rows = {}
        for name, clf in runs.items():
            at = iter(range(10**9))
            rows[name] = timed(
                lambda clf=clf, inputs=inputs, at=at: clf.predict([inputs[next(at) % len(inputs)]]),
                images_per_call=1,
                seconds=args.seconds,
            )
        base = rows["v1_float_litert"]["p50_ms"]
        for row in rows.values():
            row["p50_x_v1_float"] = round(row["p50_ms"] / base, 2)
        report[label] = rows
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
