"""Fit the quality gate's one-class model on the training split and write assets/quality_gate.json.

    python -m training.fit_quality_gate

The distance cut-off is the given quantile of training distances (times a margin), and the blur floor
sits well below the sharpest-to-softest range of real dermoscopy; both are then measured on the test
split and on non-dermoscopic photos by tests/test_quality.py and reported in the README.
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from inference.quality import FEATURE_NAMES, GATE_FILE, features
from inference.resources import assets_dir
from training.data import load_rgb
from training.splits.make_split import DEFAULT_DATA, SPLIT_FILE, read_split


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--quantile", type=float, default=0.99)
    ap.add_argument("--margin", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=assets_dir() / GATE_FILE)
    args = ap.parse_args()
    rows = [r for r in read_split(SPLIT_FILE) if r["split"] == "train"]
    with ThreadPoolExecutor(4) as pool:
        feats = np.stack(list(pool.map(lambda r: features(load_rgb(args.data / "images" / f"{r['image_id']}.jpg")),
                                       rows)))
    mean = feats.mean(0)
    cov = np.cov(feats, rowvar=False) + np.eye(feats.shape[1]) * 1e-6
    inv = np.linalg.inv(cov)
    d = np.sqrt(np.einsum("ij,jk,ik->i", feats - mean, inv, feats - mean))
    max_distance = float(np.quantile(d, args.quantile) * args.margin)
    lap = feats[:, FEATURE_NAMES.index("log_lap_var")]
    min_log_lap = float(np.quantile(lap, 0.001) - 1.0)  # e^-1: a third of the softest real image's detail
    out = {
        "features": list(FEATURE_NAMES), "mean": mean.tolist(), "inv_cov": inv.tolist(),
        "max_distance": round(max_distance, 4), "min_log_lap": round(min_log_lap, 4),
        "fitted_on": f"HAM10000 train split, {len(rows)} images (training/splits/ham10000.csv)",
        "command": "python -m training.fit_quality_gate " + f"--quantile {args.quantile} --margin {args.margin}",
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}: max_distance {max_distance:.2f}, min_log_lap {min_log_lap:.3f}, "
          f"train distance p50 {np.median(d):.2f} p99 {np.quantile(d, 0.99):.2f}")


if __name__ == "__main__":
    main()
