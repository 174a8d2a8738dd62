"""Folder scan against the JPEG decoding floor, and against the previous pipeline, in one run.

    python benchmarks/bench_scan.py [--repeat 10] [--rounds 3]

The 105 full-size 600x450 HAM10000 JPEGs repeated to 1,050 files (page cache warm, as a second scan
of a folder is). Every figure is printed beside its baselines, measured in the same process, in
interleaved rounds (the median of the rounds is reported, so a busy neighbour hurts all alike):

- baseline: a bare one-thread `cv2.imdecode` loop at full size over the same files (read included);
- the decode floor: one thread, libjpeg-turbo at 1/4 scale (what the app decodes for these files);
- previous pipeline: the runner as it was before issue 14 (full-size OpenCV decode, gate and resize
  on the full image, per-image normalisation), same pool and batch;
- the app's runner (`BatchRunner`, the same object the window and `scan` use);
- latency on one thread (batch 1, ONNX Runtime 1 thread): decode, gate + resize, inference, end to end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_inference import runner_latency  # noqa: E402
from inference import image as image_mod  # noqa: E402
from inference.card import DEFAULT_MODEL  # noqa: E402
from inference.errors import ImageError  # noqa: E402
from inference.files import read_bytes  # noqa: E402
from inference.image import decode_file  # noqa: E402
from inference.preprocess import normalize, resize_rgb  # noqa: E402
from inference.quality import QualityGate  # noqa: E402
from inference.runner import DECODE_MIN_RATIO, BatchRunner, _Prepared, decode_target  # noqa: E402
from inference.session import Model  # noqa: E402

FULLSIZE = ROOT.parent / "shared" / "data" / "ham10000_fullsize" / "images"
FLOOR_W, FLOOR_H = 150, 113  # what the runner decodes a 600x450 file to (1/4 scale)


class PreviousRunner(BatchRunner):
    """The pipeline before issue 14, for comparison: OpenCV decodes 600x450 JPEGs at full size (it only
    reduced when the result stayed >= 4x the model input), the gate resizes the full image twice, the
    model's resize too, and each image is normalised to float32 on its own."""

    def prepare(self, path):  # noqa: ANN001, ANN201
        spec = self.model.card.spec
        res = self._base(str(path))
        try:
            img = image_mod.decode_bytes(read_bytes(path), (spec.height, spec.width), 4.0, opencv_only=True)
        except ImageError as exc:
            res.message = str(exc)
            return _Prepared(str(path), None, res)
        res.decode_ms, res.sha256 = img.decode_ms, img.sha256
        t0 = time.perf_counter()
        if not self.gate.check(img.rgb).ok:
            res.status = "rejected"
            res.preprocess_ms = (time.perf_counter() - t0) * 1000
            return _Prepared(str(path), None, res)
        pixels = resize_rgb(img.rgb, spec)
        normalize(pixels, spec)  # the old runner normalised each image here (its cost kept; the batch does it again)
        res.preprocess_ms = (time.perf_counter() - t0) * 1000
        return _Prepared(str(path), pixels, res)


def bare_decode_rate(paths: list[Path], flag: int = cv2.IMREAD_COLOR) -> float:
    t = time.perf_counter()
    for p in paths:
        img = cv2.imdecode(np.fromfile(p, dtype=np.uint8), flag)
        assert img is not None
    return len(paths) / (time.perf_counter() - t)


def turbo_floor_rate(paths: list[Path]) -> float:
    import simplejpeg

    t = time.perf_counter()
    for p in paths:
        simplejpeg.decode_jpeg(p.read_bytes(), colorspace="RGB", min_width=FLOOR_W, min_height=FLOOR_H)
    return len(paths) / (time.perf_counter() - t)


def batched_inference_ms(runner: BatchRunner, paths: list[Path], batch: int = 32) -> float:
    """Per-image cost of the runner's inference step (normalise, ONNX Runtime, feature gate, policy) in batches."""
    preps = [p for p in (runner.prepare(x) for x in paths) if p.pixels is not None]
    t = time.perf_counter()
    for i in range(0, len(preps), batch):
        runner._infer(preps[i : i + batch])
    return (time.perf_counter() - t) * 1000 / max(len(preps), 1)


def scan_rate(runner: BatchRunner, paths: list[Path]) -> tuple[float, int]:
    t = time.perf_counter()
    ok = sum(1 for r in runner.run(paths) if r.status == "ok")
    return len(paths) / (time.perf_counter() - t), ok


def latency(runner: BatchRunner, paths: list[Path]) -> dict[str, np.ndarray]:
    """One image at a time through the runner's own prepare + inference (batch 1), this thread only."""
    labels = {"decode": "decode", "preprocess": "gate + resize", "inference": "inference", "end_to_end": "end to end"}
    return {labels[k]: np.asarray(v) for k, v in runner_latency(runner, paths).items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=10, help="copies of the 105 images (default 10: 1,050 files)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--decode-threads", type=int, default=2)
    ap.add_argument("--latency-images", type=int, default=525)
    args = ap.parse_args()
    base = sorted(FULLSIZE.glob("*.jpg"))
    paths = base * args.repeat
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} at start; {len(paths)} files "
          f"({len(base)} full-size 600x450 JPEGs x {args.repeat}); model {args.model}; median of {args.rounds} rounds")
    cv2.setNumThreads(1)
    gate = QualityGate.load()
    model = Model.load(args.model, threads=1)
    app = BatchRunner(model, gate, batch_size=32, decode_threads=args.decode_threads)
    old = PreviousRunner(model, gate, batch_size=32, decode_threads=args.decode_threads)
    for r in (app, old):  # warm-up
        sum(1 for _ in r.run(base[:40]))
    rates: dict[str, list[float]] = {"bare": [], "floor": [], "previous": [], "app": []}
    oks = {}
    for k in range(args.rounds):
        rates["bare"].append(bare_decode_rate(paths))
        rates["floor"].append(turbo_floor_rate(paths))
        rate, oks["previous"] = scan_rate(old, paths)
        rates["previous"].append(rate)
        rate, oks["app"] = scan_rate(app, paths)
        rates["app"].append(rate)
        print(f"  round {k + 1}: " + ", ".join(f"{n} {v[-1]:.0f}/s" for n, v in rates.items()))
    med = {k: float(np.median(v)) for k, v in rates.items()}
    bare = med["bare"]
    print(f"bare one-thread full-size cv2.imdecode loop (baseline): {bare:7.1f} images/s "
          f"({1000 / bare:.2f} ms per image)")
    print(f"one-thread decode floor (libjpeg-turbo at 1/4):          {med['floor']:7.1f} images/s "
          f"({1000 / med['floor']:.2f} ms per image) = {med['floor'] / bare:.2f}x the baseline")
    print(f"previous pipeline (full decode), {args.decode_threads} decode threads:     {med['previous']:7.1f} images/s "
          f"= {med['previous'] / bare:.2f}x the baseline ({oks['previous']} ok)")
    print(f"folder scan, BatchRunner, {args.decode_threads} decode threads + batches:  {med['app']:7.1f} images/s "
          f"= {med['app'] / bare:.2f}x the baseline (must >= 2.0x, aim 3x), {med['app'] / med['previous']:.2f}x "
          f"the previous pipeline ({oks['app']} ok)")

    n = min(args.latency_images, len(paths))
    sample = paths[:n]
    latency(app, sample[:30])
    new_l, old_l = latency(app, sample), latency(old, sample)
    floor_ms = []
    import simplejpeg

    for p in sample:
        t = time.perf_counter()
        simplejpeg.decode_jpeg(read_bytes(p), colorspace="RGB", min_width=FLOOR_W, min_height=FLOOR_H)
        floor_ms.append((time.perf_counter() - t) * 1000)
    print(f"latency, one image at a time, 1 thread (p50 / p95 ms over {n}; previous pipeline in brackets):")
    for k in new_l:
        a, b = new_l[k], old_l[k]
        print(f"    {k:14s} {np.percentile(a, 50):6.2f} / {np.percentile(a, 95):6.2f}   "
              f"[{np.percentile(b, 50):6.2f} / {np.percentile(b, 95):6.2f}]")
    e2e = float(np.percentile(new_l["end to end"], 50))
    print(f"    end to end p50 {e2e:.2f} ms (must <= 6 ms); decode floor p50 {np.percentile(floor_ms, 50):.2f} ms "
          f"(aim: within 1.5 ms: {e2e - np.percentile(floor_ms, 50):+.2f} ms)")
    shape = decode_file(base[0], decode_target(model.card.spec), min_ratio=DECODE_MIN_RATIO).rgb.shape[:2]
    print(f"    reduced decode: {shape} decoded for the gate and the model")
    # The ceiling on two cores: every image costs its decode, its gate + resize and its share of a batch's
    # inference on some core; perfect overlap of two cores cannot beat twice the inverse of that sum.
    inf = batched_inference_ms(app, sample[:320])
    per_image = float(np.percentile(new_l["decode"], 50) + np.percentile(new_l["gate + resize"], 50) + inf)
    print(f"    batched inference {inf:.2f} ms per image; CPU time per image {per_image:.2f} ms -> two-core ceiling "
          f"{2000 / per_image:.0f} images/s = {2000 / per_image / bare:.2f}x the baseline "
          f"(reached: {med['app'] / (2000 / per_image):.0%})")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} at the end")


if __name__ == "__main__":
    main()
