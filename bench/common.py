"""Helpers shared by the bench scripts: timing, percentiles, machine description."""

from __future__ import annotations

import io
import os
import platform
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

CEILING_IMAGES_PER_SECOND = 120.0  # issue 7: 2 cores × ~135 GFLOP/s fp32 / ~1.1 GFLOP per image
SHARED_PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "birds" / "cub100"


def machine() -> dict:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((line.split(":", 1)[1].strip() for line in out.splitlines() if "Model name" in line), "")
    except OSError:
        pass
    return {
        "cpu": model or platform.processor(),
        "cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def timed(run: Callable[[], object], *, images_per_call: int, seconds: float, min_calls: int = 5) -> dict:
    """Call ``run`` repeatedly (after one warm-up) for about ``seconds``; images/s and per-call latency."""
    run()
    latencies: list[float] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds or len(latencies) < min_calls:
        t = time.perf_counter()
        run()
        latencies.append(time.perf_counter() - t)
    cpu = time.process_time() - cpu_started
    wall = time.perf_counter() - started
    return {
        **summary(latencies, images_per_call),
        # Of the machine's cores, the share this process got: under other people's load it is well below
        # 1, and images/s falls with it; images per CPU-second does not depend on the load.
        "cpu_share": round(cpu / (wall * len(os.sched_getaffinity(0))), 2),
        "images_per_cpu_s": round(images_per_call * len(latencies) / cpu, 1),
    }


def summary(latencies: list[float], images_per_call: int) -> dict:
    total = sum(latencies)
    ordered = sorted(latencies)
    return {
        "images_per_s": round(images_per_call * len(latencies) / total, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 1),
        "calls": len(latencies),
    }


def beside(result: dict, baseline_images_per_s: float, ceiling: float = CEILING_IMAGES_PER_SECOND) -> dict:
    return {
        **result,
        "x_baseline": round(result["images_per_s"] / baseline_images_per_s, 2),
        "of_ceiling": round(result["images_per_s"] / ceiling, 2),
    }


def sgemm_gflops(n: int = 2048, seconds: float = 2.0, rounds: int = 3) -> dict:
    """Single-precision matrix multiply with NumPy's BLAS on every core it uses: the best of ``rounds``.

    The BLAS kernel is whatever OpenBLAS picked for this CPU (``architecture``); ``OPENBLAS_CORETYPE``
    could force another, and is left as the environment has it (never set by the benches or tests).
    """
    import numpy as np

    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b = a.T.copy()
    a @ b
    best = 0.0
    for _ in range(rounds):
        calls, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            a @ b
            calls += 1
        best = max(best, 2 * n**3 * calls / (time.perf_counter() - started) / 1e9)
    info: dict = {
        "gflops": round(best, 1),
        "n": n,
        "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
    }
    try:
        from threadpoolctl import threadpool_info

        blas = next((p for p in threadpool_info() if p.get("user_api") == "blas"), {})
        info |= {
            "blas": blas.get("internal_api"),
            "architecture": blas.get("architecture"),
            "threads": blas.get("num_threads"),
        }
    except ImportError:
        pass
    return info


def keras_flops(model) -> int:
    """Floating-point operations (2 per multiply-add) of one image through a Keras model, nested models
    included: convolutions, depthwise convolutions and matrix products; the rest is negligible."""
    total = 0
    for layer in model.layers:
        if hasattr(layer, "layers"):
            total += keras_flops(layer)
            continue
        kernel = getattr(layer, "depthwise_kernel", None)
        if kernel is None:
            kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        size = int(np.prod(kernel.shape))
        shape = layer.output.shape
        spatial = int(np.prod(shape[1:-1])) if len(shape) == 4 else 1
        total += 2 * size * spatial
    return total


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def photos(n: int) -> list[Path]:
    found = sorted(p for d in sorted(SHARED_PHOTOS.iterdir()) if d.is_dir() for p in sorted(d.iterdir()))
    if len(found) < n:
        raise SystemExit(f"need {n} photos under {SHARED_PHOTOS}, found {len(found)}")
    step = len(found) // n
    return found[::step][:n]


def twelve_megapixel(path: Path, seed: int) -> bytes:
    """A 4000×3000 JPEG as a phone takes it: the photo's bird, 1000 px wide, somewhere in a blurred scene."""
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    scene = Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).resize((4000, 3000))
    scene = scene.filter(ImageFilter.GaussianBlur(8))
    bird = Image.open(path).convert("RGB").resize((1000, 1000))
    scene.paste(bird, (int(rng.integers(0, 3000)), int(rng.integers(0, 2000))))
    buffer = io.BytesIO()
    scene.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
