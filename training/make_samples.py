"""Copy a handful of held-out full-size HAM10000 images into assets/samples with their expected results.

    python -m training.make_samples

The images come from the validation/test lesions (never trained on). `expected_top` records what each
shipped model predicts for them, so `main.py --selftest` can tell when a build or a library upgrade
changes the model's answers. `dx` is the histopathology/follow-up ground truth from HAM10000.
"""

from __future__ import annotations

import csv
import shutil

from inference import strict_json
from inference.card import available_models
from inference.resources import samples_dir
from inference.runner import BatchRunner
from inference.session import Model
from training.classes import CITATION, LICENSE
from training.splits.make_split import DEFAULT_DATA, SPLIT_FILE, read_split

FULLSIZE = DEFAULT_DATA.parent / "ham10000_fullsize"
PICKS = {"bcc": 1, "mel": 1, "bkl": 3, "nv": 3}


def main() -> None:
    split = {r["image_id"]: r["split"] for r in read_split(SPLIT_FILE)}
    with open(FULLSIZE / "metadata.csv", newline="") as fh:
        meta = [r for r in csv.DictReader(fh) if split[r["image_id"]] in ("val", "test")]
    chosen = []
    for dx, n in PICKS.items():
        chosen += sorted((r for r in meta if r["dx"] == dx), key=lambda r: r["image_id"])[:n]
    out = samples_dir()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("ISIC_*.jpg"):
        old.unlink()
    entries = []
    for r in chosen:
        shutil.copy(FULLSIZE / "images" / f"{r['image_id']}.jpg", out / f"{r['image_id']}.jpg")
        entries.append({"file": f"{r['image_id']}.jpg", "image_id": r["image_id"], "lesion_id": r["lesion_id"],
                        "dx": r["dx"], "dx_type": r["dx_type"], "split": split[r["image_id"]],
                        "expected_top": {}})
    for name in available_models():
        runner = BatchRunner(Model.load(name))
        for e, res in zip(entries, runner.run([out / e["file"] for e in entries]), strict=True):
            e["expected_top"][name] = res.top_class if res.ok else res.status
    doc = {"license": LICENSE, "attribution": "HAM10000 dataset, ViDIR Group, Medical University of Vienna",
           "citation": CITATION, "samples": entries}
    (out / "samples.json").write_text(strict_json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(entries)} samples to {out}")


if __name__ == "__main__":
    main()
