"""Write the lesion-grouped, class-stratified 70/15/15 split that every model reuses.

Images of one lesion are near-duplicates; if they straddle train and test the score is inflated
(very likely how the paper's 87% came about), so the unit of splitting is the lesion, not the image.

    python -m training.splits.make_split --data ../shared/data/ham10000 --seed 20261127
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import defaultdict
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "ham10000"
SPLIT_FILE = Path(__file__).resolve().parent / "ham10000.csv"
FRACTIONS = {"train": 0.70, "val": 0.15, "test": 0.15}


def read_metadata(data: Path) -> list[dict[str, str]]:
    with open(data / "metadata.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def make_split(rows: list[dict[str, str]], seed: int) -> dict[str, str]:
    """lesion_id -> split; lesions are shuffled within each diagnosis and cut 70/15/15."""
    lesion_dx: dict[str, str] = {}
    for r in rows:
        prev = lesion_dx.setdefault(r["lesion_id"], r["dx"])
        if prev != r["dx"]:
            raise ValueError(f"lesion {r['lesion_id']} has two diagnoses: {prev}, {r['dx']}")
    by_dx: dict[str, list[str]] = defaultdict(list)
    for lesion, dx in sorted(lesion_dx.items()):
        by_dx[dx].append(lesion)
    rng = random.Random(seed)
    out: dict[str, str] = {}
    for dx in sorted(by_dx):
        lesions = by_dx[dx]
        rng.shuffle(lesions)
        n = len(lesions)
        n_val = round(n * FRACTIONS["val"])
        n_test = round(n * FRACTIONS["test"])
        for i, lesion in enumerate(lesions):
            out[lesion] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    return out


def write_split(rows: list[dict[str, str]], lesion_split: dict[str, str], path: Path) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["image_id", "lesion_id", "dx", "split"])
        for r in sorted(rows, key=lambda r: r["image_id"]):
            w.writerow([r["image_id"], r["lesion_id"], r["dx"], lesion_split[r["lesion_id"]]])


def read_split(path: Path = SPLIT_FILE) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--out", type=Path, default=SPLIT_FILE)
    args = ap.parse_args()
    rows = read_metadata(args.data)
    split = make_split(rows, args.seed)
    write_split(rows, split, args.out)
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[split[r["lesion_id"]]] += 1
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v} images" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
