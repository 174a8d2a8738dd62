"""Scaling of `scan --engine ray` on this machine (issue 15): images/s with 1 and 2 CPUs, and the local engine.

    .venv/bin/python benchmarks/bench_cluster.py [--repeat 3] [--cpus 1 2] [--json out.json]

The 105 full-size HAM10000 images, listed `--repeat` times (no journal, so every one is analysed). For Ray,
a fresh local Ray per CPU count (`ray.init(num_cpus=N)`, N actors with one single-threaded ONNX session
each); "steady" counts rows between the first and the last one (actors started and models loaded), "end to
end" includes starting the actors. Ray's own start-up (a few seconds) is reported apart.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

from cases.rows import RowWorker  # noqa: E402
from inference.card import DEFAULT_MODEL  # noqa: E402
from inference.session import Model  # noqa: E402

IMAGES = ROOT.parent / "shared" / "data" / "ham10000_fullsize" / "images"


def timed(stream) -> dict[str, float]:
    t0 = time.perf_counter()
    stamps = [time.perf_counter() for _ in stream]
    n = len(stamps)
    total = stamps[-1] - t0
    first = sum(1 for t in stamps if t - stamps[0] < 0.002)  # rows arrive a batch at a time: skip the first
    span = stamps[-1] - stamps[0]
    steady = (n - first) / span if span > 0 else float("nan")
    return {"images": n, "seconds": round(total, 2), "end_to_end_per_s": round(n / total, 2),
            "steady_per_s": round(steady, 2)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cpus", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    paths = [str(p) for p in sorted(IMAGES.glob("*.jpg"))] * args.repeat
    model = Model.load(DEFAULT_MODEL, threads=1)
    results: dict[str, dict] = {}
    for n in args.cpus:  # the local engine, one process: n ONNX threads and n decode threads
        m = Model.load(DEFAULT_MODEL, threads=n)
        results[f"local_{n}cpu"] = timed(RowWorker(m, batch_size=args.batch_size, decode_threads=n).rows(paths))
        print(f"local, {n} cpu: {results[f'local_{n}cpu']}", flush=True)
    import ray

    from cases.cluster import ray_rows, start_ray

    for n in args.cpus:
        t0 = time.perf_counter()
        start_ray(num_cpus=n)
        up = time.perf_counter() - t0
        ns = argparse.Namespace(address=None, workers=n, batch_size=args.batch_size, model=DEFAULT_MODEL)
        r = timed(ray_rows(ns, model, paths, [""] * len(paths)))
        r["ray_start_s"] = round(up, 2)
        results[f"ray_{n}cpu"] = r
        print(f"ray, {n} cpu: {r}", flush=True)
        ray.shutdown()
    results["machine"] = {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2),
                          "model": f"{model.name} {model.version}"}
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
