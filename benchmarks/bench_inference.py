"""Inference speed and memory of the shipped model(s) against ResNet50, in one run on this machine.

    python benchmarks/bench_inference.py            # needs the [train] extra for the ResNet50 export

Prints per-stage latency (batch 1; p50/p95 in ms) with 1 and 2 ONNX Runtime threads on the 105
full-size 600x450 JPEGs repeated to 1,000, folder throughput through the real BatchRunner, the peak
RSS of a 10,000-image scan (a separate process), and ResNet50 at 224x224 with the ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.card import DEFAULT_MODEL, available_models  # noqa: E402
from inference.preprocess import PreprocessSpec  # noqa: E402
from inference.quality import QualityGate  # noqa: E402
from inference.runner import BatchRunner  # noqa: E402
from inference.session import Model  # noqa: E402

FULLSIZE = ROOT.parent / "shared" / "data" / "ham10000_fullsize" / "images"


def pct(xs: list[float]) -> str:
    a = np.asarray(xs)
    return f"p50 {np.percentile(a, 50):7.3f}  p95 {np.percentile(a, 95):7.3f}"


def stage_latency(model: Model, paths: list[Path], gate: QualityGate) -> dict[str, list[float]]:
    """Batch 1 through the app's own runner (decode at the DCT scale it picks, gate, resize, model with its
    maps and feature gate, softmax, priority), one image at a time in this thread."""
    return runner_latency(BatchRunner(model, gate, batch_size=1, decode_threads=1), paths)


def runner_latency(runner: BatchRunner, paths: list[Path]) -> dict[str, list[float]]:
    """Per image, in this thread: the runner's prepare (decode, gate + resize) then its batch-1 inference."""
    out: dict[str, list[float]] = {"decode": [], "preprocess": [], "inference": [], "end_to_end": []}
    for p in paths:
        t0 = time.perf_counter()
        prep = runner.prepare(p)
        t1 = time.perf_counter()
        if prep.pixels is not None:
            runner._infer([prep])
        t2 = time.perf_counter()
        for k, v in (("decode", prep.result.decode_ms or 0.0), ("preprocess", prep.result.preprocess_ms or 0.0),
                     ("inference", (t2 - t1) * 1000), ("end_to_end", (t2 - t0) * 1000)):
            out[k].append(v)
    return out


def inference_only(session_model: Model, spec: PreprocessSpec, n: int) -> list[float]:
    x = np.random.default_rng(0).standard_normal((1, 3, spec.height, spec.width)).astype(np.float32)
    session_model.infer(x)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        session_model.infer(x)
        times.append((time.perf_counter() - t) * 1000)
    return times


def throughput(model: Model, paths: list[Path], batch: int, decode_threads: int) -> float:
    runner = BatchRunner(model, batch_size=batch, decode_threads=decode_threads)
    t = time.perf_counter()
    n = sum(1 for _ in runner.run(paths))
    return n / (time.perf_counter() - t)


def rss_scan(n: int, model_name: str) -> None:
    """Child process: scan n images through the runner; print peak RSS in MB."""
    base = sorted(FULLSIZE.glob("*.jpg"))
    paths = (base * (n // len(base) + 1))[:n]
    runner = BatchRunner(Model.load(model_name, threads=2), batch_size=32, decode_threads=2)
    t = time.perf_counter()
    done = sum(1 for _ in runner.run(paths))
    dt = time.perf_counter() - t
    print(f"{done} {dt:.2f} {peak_rss_mb():.1f}")


def peak_rss_mb() -> float:
    """This process's own peak RSS. ru_maxrss is not used on Linux: it survives exec, so a child
    forked from this (large, ResNet-holding) benchmark would report the parent's size (seen: 912 MB)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resnet_card(onnx_path: Path):  # noqa: ANN201
    """A throwaway in-memory card so ResNet50 runs through the same verified Model class."""
    import json
    import tempfile

    from inference.session import sha256_file

    tmp = Path(tempfile.mkdtemp()) / "resnet50.json"
    link = tmp.with_suffix(".onnx")
    os.symlink(onnx_path, link)
    card = json.loads((ROOT / "assets" / "models" / "paper_cnn.json").read_text())
    card.update(name="resnet50", version="random-weights",
                input=dict(card["input"], height=224, width=224),
                onnx={"file": link.name, "sha256": sha256_file(onnx_path)})
    tmp.write_text(json.dumps(card))
    return tmp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(available_models()), help="comma-separated (default: all shipped)")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--rss-images", type=int, default=10000)
    ap.add_argument("--no-resnet", action="store_true")
    ap.add_argument("--resnet-onnx", type=Path, default=ROOT / "runs" / "resnet50.onnx",
                    help="where the exported ResNet50 is (exported there first when missing)")
    ap.add_argument("--rss-child", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child:
        rss_scan(args.rss_child, args.models)
        return
    base = sorted(FULLSIZE.glob("*.jpg"))
    paths = (base * (args.n // len(base) + 1))[: args.n]
    gate = QualityGate.load()
    print(f"machine: {os.cpu_count()} CPUs; {len(paths)} full-size 600x450 JPEGs (105 repeated); times in ms")
    infer_p50: dict[str, float] = {}
    for name in args.models.split(","):
        for threads in (1, 2):
            model = Model.load(name, threads=threads)
            stage_latency(model, paths[:50], gate)  # warm-up
            st = stage_latency(model, paths, gate)
            print(f"{name:15s} threads={threads} batch=1")
            for k, v in st.items():
                print(f"    {k:11s} {pct(v)}")
            infer_p50[f"{name}/{threads}"] = float(np.percentile(inference_only(model, model.card.spec, 500), 50))
        for threads in (1, 2):
            model = Model.load(name, threads=threads)
            print(f"    folder throughput (runner, batch 32, 2 decode threads, ORT threads={threads}): "
                  f"{throughput(model, paths, 32, 2):7.1f} images/s")
    if not args.no_resnet:
        from benchmarks.export_resnet50 import export

        onnx_path = args.resnet_onnx
        if not onnx_path.exists():
            export(onnx_path)
        card = resnet_card(onnx_path)
        for threads in (1, 2):
            rn = Model.load(card, threads=threads)
            p50 = float(np.percentile(inference_only(rn, rn.card.spec, 30), 50))
            st = stage_latency(rn, paths[:40], gate)
            for name in dict.fromkeys((DEFAULT_MODEL, "paper_cnn")):
                ref = infer_p50.get(f"{name}/{threads}")
                if ref:
                    print(f"resnet50 (224x224) threads={threads}: inference-only p50 {p50:.2f} ms vs {name} "
                          f"{ref:.3f} ms -> {name} is {p50 / ref:.0f}x faster (must >= 100x)")
            print(f"resnet50 (224x224) threads={threads}: end-to-end {pct(st['end_to_end'])}")
    for k, v in infer_p50.items():
        print(f"inference-only p50 {k}: {v:.3f} ms")
    proc = subprocess.run([sys.executable, __file__, "--rss-child", str(args.rss_images), "--models",
                           DEFAULT_MODEL], capture_output=True, text=True, check=True)
    done, secs, rss = proc.stdout.split()
    rate = int(done) / float(secs)
    print(f"{done}-image scan with {DEFAULT_MODEL} in a fresh process: {float(secs):.1f} s ({rate:.0f} images/s), "
          f"peak RSS {float(rss):.0f} MB")


if __name__ == "__main__":
    main()
