"""The shipped model's referral scores on every source it was not trained on, for the clinic simulations.

    python -m training.site_scores --model assets/models/triage_cnn.json --out runs/site_scores.csv

Each image goes through the app's own pipeline (inference.runner.BatchRunner: decode, quality gate,
preprocessing, ONNX Runtime, temperature), so a simulated clinic sees the scores a real one would. The
sources are the lesion-grouped *test* splits of HAM10000 and of the BCN20000 / MSK / ISIC-archive pool
(one simulated clinic per hospital), ISIC 2018 test, and Derm7pt -- the external test, which here plays a
clinic the model never met (site calibration is measured on one half of it and fitted on the other; it
never reaches training, the card's thresholds or the gate).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from inference.card import ModelCard
from inference.quality import QualityGate
from inference.runner import BatchRunner
from inference.session import Model
from training.sources import Item, external_items, ham_items, isic2018_items, pool_items

COLUMNS = ("clinic", "image_id", "lesion_id", "dx", "status", "p_mel", "p_malignant")


def clinics() -> dict[str, list[Item]]:
    """Simulated clinics: one per source (the pool split by hospital), test splits only."""
    out: dict[str, list[Item]] = {"HAM10000": ham_items("test")}
    for path, row in pool_items("test"):
        out.setdefault(f"pool_{row['source']}", []).append((path, row))
    out["ISIC2018"] = isic2018_items()
    out["Derm7pt"] = external_items()
    return out


def score(card: ModelCard, items: list[Item], gate: QualityGate) -> list[dict[str, str]]:
    runner = BatchRunner(Model(card, threads=2), gate, batch_size=64, decode_threads=2)
    rows = {str(p): r for p, r in items}
    out = []
    for res in runner.run([p for p, _ in items]):
        meta = rows[res.path]
        probs = res.probabilities or {}
        ok = res.status == "ok"
        out.append({"image_id": meta["image_id"], "lesion_id": meta.get("lesion_id") or meta["image_id"],
                    "dx": meta["dx"], "status": str(res.status),
                    "p_mel": f"{probs['mel']:.6f}" if ok else "",
                    "p_malignant": f"{res.malignant_score:.6f}" if ok else ""})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=Path("assets/models/triage_cnn.json"))
    ap.add_argument("--out", type=Path, default=Path("runs/site_scores.csv"))
    args = ap.parse_args()
    card, gate = ModelCard.load(args.model), QualityGate.load(None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for name, items in clinics().items():
            rows = score(card, items, gate)
            for r in rows:
                w.writerow({"clinic": name, **r})
            print(f"{name}: {len(rows)} images", flush=True)


if __name__ == "__main__":
    main()
