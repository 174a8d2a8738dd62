"""Write the lesion-grouped split of the non-HAM training pool (BCN20000, MSK, ISIC archive).

One row per image id: the 256 px ISIC 2017 copy where one exists (sharper), else the 84 px copy.
Images without a lesion id are their own lesion. Same 70/15/15, class-stratified cut as HAM10000's
split, so each source contributes its own validation and test lesions.

    python -m training.splits.make_pool_split --seed 20261127
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

from training.splits.make_split import make_split, read_split

DATA_ROOT = Path(__file__).resolve().parents[3] / "shared" / "data"
POOL_FILE = Path(__file__).resolve().parent / "isic2019_pool.csv"
LOW, HIGH = "isic2019_bcn_msk_84px", "isic2017_256px"


def pool_rows(data_root: Path = DATA_ROOT) -> list[dict[str, str]]:
    """image_id, lesion_id, dx, source, folder: one copy per image id, the sharper one preferred."""
    rows: dict[str, dict[str, str]] = {}
    for r in read_split(data_root / LOW / "metadata.csv"):
        rows[r["image_id"]] = {"image_id": r["image_id"], "lesion_id": r["lesion_id"] or r["image_id"],
                               "dx": r["dx"], "source": r["source"], "folder": LOW}
    for r in read_split(data_root / HIGH / "metadata.csv"):
        prev = rows.get(r["image_id"])
        if prev is not None:
            if prev["dx"] != r["dx"]:
                raise ValueError(f"{r['image_id']}: diagnosis {prev['dx']} at 84 px but {r['dx']} at 256 px")
            prev["folder"] = HIGH
        else:
            rows[r["image_id"]] = {"image_id": r["image_id"], "lesion_id": r["lesion_id"] or r["image_id"],
                                   "dx": r["dx"], "source": r["source"] or "ISIC2017", "folder": HIGH}
    return sorted(rows.values(), key=lambda r: r["image_id"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", type=Path, default=DATA_ROOT)
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--out", type=Path, default=POOL_FILE)
    args = ap.parse_args()
    rows = pool_rows(args.data_root)
    split = make_split(rows, args.seed)
    with open(args.out, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["image_id", "lesion_id", "dx", "source", "folder", "split"])
        for r in rows:
            w.writerow([r["image_id"], r["lesion_id"], r["dx"], r["source"], r["folder"], split[r["lesion_id"]]])
    counts = Counter(split[r["lesion_id"]] for r in rows)
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v} images" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
