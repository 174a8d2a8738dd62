"""Does the reduced (DCT-scaled) decode change what the shipped model says? Full vs reduced, one run.

    python benchmarks/parity_decode.py [--model triage_cnn] [--json runs/parity_decode.json]

The app decodes each JPEG at the largest DCT scale that still covers the model's 96x72 input (also the
gate's copy; inference.runner.decode_target); this compares it with a full-size decode, through the
app's own decode -> resize -> normalise -> ONNX Runtime path (the gate is not applied, as for the
card's metrics, which count every test image):

1. the HAM10000 test split as stored here (1,303 images at 200x150, which the app decodes at 1/2:
   100x75; the default model is trained on that same path, so the reduced column is the card's);
2. the same test split at the original 600x450 resolution (each image upscaled 3x, INTER_CUBIC,
   re-encoded as a quality-90 JPEG), decoded at full size and at 1/4 (150x113);
3. the 105 real full-size 600x450 JPEGs (1/4) and camera-size 2400x1800 copies of them (1/8):
   largest change of any probability, top-1 and priority agreement.

Accuracy, balanced accuracy and macro AUC are printed beside the card's.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.card import DEFAULT_MODEL  # noqa: E402
from inference.image import decode_bytes  # noqa: E402
from inference.preprocess import normalize, resize_rgb  # noqa: E402
from inference.runner import DECODE_MIN_RATIO, decode_target  # noqa: E402
from inference.session import Model  # noqa: E402
from training.metrics import classification_report  # noqa: E402 - plain numpy

DATA = ROOT.parent / "shared" / "data"
SPLIT = ROOT / "training" / "splits" / "ham10000.csv"


def probabilities(model: Model, blobs: list[bytes], reduced: bool) -> tuple[np.ndarray, set[int]]:
    spec = model.card.spec
    target = decode_target(spec) if reduced else None
    out, factors = [], set()
    for i in range(0, len(blobs), 64):
        pix = []
        for data in blobs[i : i + 64]:
            img = decode_bytes(data, target, min_ratio=DECODE_MIN_RATIO)
            factors.add(img.reduced)
            pix.append(resize_rgb(img.rgb, spec))
        logits = model.infer_all(normalize(np.stack(pix), spec))[0]
        out.append(model.probabilities(logits))
    return np.concatenate(out), factors


def upscale(data: bytes, factor: int = 3) -> bytes:
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    big = cv2.resize(bgr, (bgr.shape[1] * factor, bgr.shape[0] * factor), interpolation=cv2.INTER_CUBIC)
    return cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def compare(name: str, model: Model, full: np.ndarray, red: np.ndarray, factors: set[int]) -> dict:
    card = model.card
    d = np.abs(full - red)
    prio = [card.thresholds.priority(float(a), None) == card.thresholds.priority(float(b), None)
            for a, b in zip(model.malignant_score(full), model.malignant_score(red), strict=True)]
    row = {"set": name, "n": len(full), "scale": sorted(factors), "max_abs_dp": round(float(d.max()), 4),
           "mean_abs_dp": round(float(d.mean()), 5),
           "top1_agree": round(float((full.argmax(1) == red.argmax(1)).mean()), 4),
           "priority_agree": round(float(np.mean(prio)), 4)}
    print(f"{name}: decoded at 1/{sorted(factors)} vs full: max |dp| {row['max_abs_dp']:.4f}, mean "
          f"{row['mean_abs_dp']:.5f}; top-1 agrees {100 * row['top1_agree']:.1f}%, priority (score rule) agrees "
          f"{100 * row['priority_agree']:.1f}%")
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    model = Model.load(args.model, threads=2)
    card = model.card
    codes = list(card.codes)
    rows = [r for r in csv.DictReader(SPLIT.open()) if r["split"] == "test"]
    blobs = [(DATA / "ham10000" / "images" / f"{r['image_id']}.jpg").read_bytes() for r in rows]
    y = np.array([codes.index(r["dx"]) for r in rows])
    ref = card.doc.metrics.test if card.doc is not None else None
    report: dict = {"model": f"{card.name} {card.version}", "decode_target_hw": decode_target(card.spec)}

    def metrics(name: str, probs: np.ndarray) -> None:
        rep = classification_report(probs, y, codes)
        cells = []
        for k in ("accuracy", "balanced_accuracy", "macro_auc"):
            want = getattr(ref, k, None) if ref is not None else None
            delta = f" ({100 * (rep[k] - want):+.2f} points vs the card's {want:.4f})" if want is not None else ""
            cells.append(f"{k} {rep[k]:.4f}{delta}")
        print(f"{name} (n={rep['n']}): " + "; ".join(cells))
        report[name] = {k: rep[k] for k in ("n", "accuracy", "balanced_accuracy", "macro_auc")}

    p_full, _ = probabilities(model, blobs, reduced=False)
    p_app, f_app = probabilities(model, blobs, reduced=True)
    metrics("test split 200x150, full decode", p_full)
    metrics(f"test split 200x150, app decode (1/{sorted(f_app)})", p_app)
    big = [upscale(b) for b in blobs]
    p_big_full, _ = probabilities(model, big, reduced=False)
    p_big_red, f_big = probabilities(model, big, reduced=True)
    metrics("test split at 600x450, full decode", p_big_full)
    metrics(f"test split at 600x450, app decode (1/{sorted(f_big)})", p_big_red)
    report["rows"] = [compare("test split at 600x450", model, p_big_full, p_big_red, f_big)]
    real = [p.read_bytes() for p in sorted((DATA / "ham10000_fullsize" / "images").glob("*.jpg"))]
    a, _ = probabilities(model, real, reduced=False)
    b, f = probabilities(model, real, reduced=True)
    report["rows"].append(compare("105 real 600x450 JPEGs", model, a, b, f))
    cam = [upscale(d, 4) for d in real[:40]]
    a, _ = probabilities(model, cam, reduced=False)
    b, f = probabilities(model, cam, reduced=True)
    report["rows"].append(compare("40 camera-size 2400x1800 JPEGs", model, a, b, f))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
