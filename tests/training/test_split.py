"""The committed split keeps every lesion's images together and covers every image exactly once."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict

from tests.conftest import HAM, ROOT
from training.splits.make_split import make_split, read_metadata, read_split


def test_split_is_lesion_grouped_and_complete():
    rows = read_split(ROOT / "training" / "splits" / "ham10000.csv")
    with open(HAM / "metadata.csv", newline="") as fh:
        meta = {r["image_id"]: r for r in csv.DictReader(fh)}
    ids = [r["image_id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(meta) == 8514
    assert set(ids) == set(meta)
    lesion_splits = defaultdict(set)
    for r in rows:
        assert r["split"] in ("train", "val", "test")
        assert r["lesion_id"] == meta[r["image_id"]]["lesion_id"] and r["dx"] == meta[r["image_id"]]["dx"]
        lesion_splits[r["lesion_id"]].add(r["split"])
    crossing = [lesion for lesion, s in lesion_splits.items() if len(s) > 1]
    assert not crossing, f"{len(crossing)} lesions cross splits"


def test_split_is_stratified_70_15_15():
    rows = read_split(ROOT / "training" / "splits" / "ham10000.csv")
    lesions = {(r["lesion_id"], r["dx"], r["split"]) for r in rows}
    by_dx = defaultdict(Counter)
    for _, dx, split in lesions:
        by_dx[dx][split] += 1
    for dx, c in by_dx.items():
        n = sum(c.values())
        assert abs(c["test"] / n - 0.15) < 0.03 and abs(c["val"] / n - 0.15) < 0.03, (dx, c)
        assert c["test"] >= 1 and c["val"] >= 1


def test_split_regenerates_identically():
    rows = read_metadata(HAM)
    regenerated = make_split(rows, seed=20261127)
    committed = {r["lesion_id"]: r["split"] for r in read_split(ROOT / "training" / "splits" / "ham10000.csv")}
    assert regenerated == committed
