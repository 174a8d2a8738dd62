"""Helpers shared by the GUI tests: real images, per-patient folders, running a scan to the end."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
SMALL = DATA / "ham10000" / "images"  # 200x150
FULLSIZE = DATA / "ham10000_fullsize" / "images"  # 600x450


def run_scan(qtbot, window, sources=None, items=None, timeout: int = 60_000):  # noqa: ANN001, ANN201
    """Start a scan and wait for its ScanSummary."""
    with qtbot.waitSignal(window.controller.finished, timeout=timeout) as blocker:
        assert window.start_scan(sources, items)
    return blocker.args[0]


def small_images(n: int, start: int = 0) -> list[Path]:
    files = sorted(SMALL.glob("*.jpg"))[start:start + n]
    assert len(files) == n, f"need {n} images under {SMALL}"
    return files


def full_images(n: int) -> list[Path]:
    files = sorted(FULLSIZE.glob("*.jpg"))[:n]
    assert len(files) == n, f"need {n} images under {FULLSIZE}"
    return files


def patient_folders(root: Path, files: list[Path], per_patient: int) -> Path:
    """Copy images into root/P001, root/P002, ... (a clinic's per-patient layout)."""
    for i, f in enumerate(files):
        d = root / f"P{i // per_patient + 1:03d}"
        d.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, d / f.name)
    return root
