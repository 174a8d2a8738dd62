"""Where each image source's files are, by role: one place, so Derm7pt can only come in as the external test.

Training, thresholds, the quality gate and model selection read `split_items` and `isic2018_items`;
only `external_items` reaches Derm7pt, and only training/evaluate_sources.py and the site-calibration
simulation (training/site_scores.py: a simulated clinic fitted on one half, measured on the other) call it
(tests/training/test_mixed.py checks both).
"""

from __future__ import annotations

from pathlib import Path

from training.splits.make_pool_split import DATA_ROOT, POOL_FILE
from training.splits.make_split import SPLIT_FILE, read_split

HAM = DATA_ROOT / "ham10000"
ISIC2018 = DATA_ROOT / "isic2018_test_224px"
DERM7PT = DATA_ROOT / "derm7pt_384px"

Item = tuple[Path, dict[str, str]]  # image file, its metadata row (image_id, dx, lesion_id, source, ...)


def _image(folder: Path, row: dict[str, str]) -> Path:
    return folder / "images" / f"{row['image_id']}.jpg"


def ham_items(split: str) -> list[Item]:
    """HAM10000's lesion-grouped split (train / val / test)."""
    return [(_image(HAM, r), r) for r in read_split(SPLIT_FILE) if r["split"] == split]


def pool_items(split: str) -> list[Item]:
    """The BCN20000 / MSK / ISIC-archive pool's lesion-grouped split, each id from its sharpest copy."""
    return [(_image(DATA_ROOT / r["folder"], r), r) for r in read_split(POOL_FILE) if r["split"] == split]


def isic2018_items() -> list[Item]:
    """ISIC 2018 test: validation and model selection only, never training."""
    return [(_image(ISIC2018, r), r) for r in read_split(ISIC2018 / "metadata.csv")]


def external_items() -> list[Item]:
    """Derm7pt, the external test: measured, never trained on, never used for thresholds or the gate."""
    return [(_image(DERM7PT, r), r) for r in read_split(DERM7PT / "metadata.csv")]
