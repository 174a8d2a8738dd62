"""Per-source numbers of a shipped model, measured through the app's own pipeline, into its card.

    python -m training.evaluate_sources --model runs/mixed_v1/triage_cnn.json [--write]

Each test image goes through inference.runner.BatchRunner exactly as in the app and `main.py scan`
(decode, quality gate, preprocessing, ONNX Runtime, temperature, the card's referral policy), so
refusals count: a refused melanoma is a melanoma not referred. Sources: the HAM10000 test split, the
BCN/MSK/ISIC pool's test split, ISIC 2018 test (used for model selection: not independent) and
Derm7pt, the external test (another source and device; never used for training, thresholds or the gate).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from inference import strict_json
from inference.card import ModelCard
from inference.quality import QualityGate
from inference.runner import BatchRunner
from inference.session import Model
from training import metrics
from training.classes import CODES, MALIGNANT
from training.sources import external_items, ham_items, isic2018_items, pool_items

SOURCES = {
    "ham10000_test": ("HAM10000 test split (lesion-grouped)", False),
    "pool_test": ("BCN20000 / MSK / ISIC archive test split (lesion-grouped)", False),
    "isic2018_test": ("ISIC 2018 test (model selection: not independent)", False),
    "derm7pt": ("Derm7pt (external: another source and device, never used)", True),
}


def source_items(key: str) -> list[tuple[Path, str]]:
    """(path, dx) of every image of one evaluation source."""
    items = {"ham10000_test": lambda: ham_items("test"), "pool_test": lambda: pool_items("test"),
             "isic2018_test": isic2018_items, "derm7pt": external_items}[key]()
    return [(p, r["dx"]) for p, r in items]


def evaluate(card: ModelCard, items: list[tuple[Path, str]], gate: QualityGate, threads: int = 2) -> dict:
    runner = BatchRunner(Model(card, threads=threads), gate, batch_size=64, decode_threads=2)
    by_path = {str(p): CODES.index(dx) for p, dx in items}
    probs, labels, accepted = [], [], []
    for res in runner.run([p for p, _ in items]):
        labels.append(by_path[res.path])
        ok = res.status == "ok"
        accepted.append(ok)
        probs.append([res.probabilities[c] for c in CODES] if ok else [np.nan] * len(CODES))
    p, y, acc = np.array(probs), np.array(labels), np.array(accepted)
    rep = metrics.classification_report(p[acc], y[acc], CODES)
    mel, nv = CODES.index("mel"), CODES.index("nv")
    pa, ya = p[acc], y[acc]
    filled = np.where(acc[:, None], p, 0.0)
    referral = metrics.policy_report(filled, y, CODES, MALIGNANT, {"urgent": card.thresholds.urgent,
                                                                    "soon": card.thresholds.soon}, accepted=acc)
    return {
        "n": int(len(y)),
        "refused_fraction": round(float(1 - acc.mean()), 4),
        "accepted": int(acc.sum()),
        "accuracy": rep["accuracy"],
        "balanced_accuracy": rep["balanced_accuracy"],
        "melanoma_recall": rep["melanoma_recall"],
        "melanoma_auc": round(metrics.roc_auc(pa[ya == mel, mel], pa[ya != mel, mel]), 4),
        "melanoma_vs_nevus_auc": round(metrics.roc_auc(pa[ya == mel, mel], pa[ya == nv, mel]), 4),
        "macro_auc": rep["macro_auc"],
        "ece": round(metrics.expected_calibration_error(pa, ya), 4),
        **referral,
        "per_class_recall": {c: rep["per_class"][c]["recall"] for c in CODES},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="the model card (.json) to measure")
    ap.add_argument("--gate", type=Path, default=None, help="quality gate JSON (default: the shipped one)")
    ap.add_argument("--sources", default=",".join(SOURCES))
    ap.add_argument("--write", action="store_true", help="record the numbers in the card (metrics.sources)")
    args = ap.parse_args()
    card = ModelCard.load(args.model)
    gate = QualityGate.load(args.gate)
    out = {}
    for key in args.sources.split(","):
        label, external = SOURCES[key]
        r = evaluate(card, source_items(key), gate)
        out[key] = {"label": label, "external": external, **r}
        print(f"{key:14s} n={r['n']:5d} refused {r['refused_fraction']:.1%}  acc {r['accuracy']:.3f}  "
              f"bal {r['balanced_accuracy']:.3f}  mel-AUC {r['melanoma_auc']:.3f}  "
              f"mel-vs-nv {r['melanoma_vs_nevus_auc']:.3f}"
              f"  macroAUC {r['macro_auc']:.3f}  ECE {r['ece']:.3f}  mel referred {r['melanoma_referred']}  "
              f"(urgent {r['melanoma_urgent']})  benign referred {r['benign_referred']}  nevi referred "
              f"{r['nevus_referred']}", flush=True)
    if args.write:
        raw = strict_json.loads(args.model.read_text())
        raw.setdefault("metrics", {})["sources"] = out
        raw["metrics"]["sources_note"] = (
            "measured through the app's pipeline (decode, quality gate, model, policy) by "
            "python -m training.evaluate_sources; refused images count as not referred; classification "
            "metrics are over accepted images")
        args.model.write_text(strict_json.dumps(raw, indent=2) + "\n")
        print(f"recorded in {args.model}")


if __name__ == "__main__":
    main()
