"""Shared paths and fixtures: real HAM10000 images from ../shared/data, the shipped model, bad files."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data"
HAM = DATA / "ham10000"
FULLSIZE = DATA / "ham10000_fullsize" / "images"
MODELS = ROOT / "assets" / "models"

from tests.unprivileged import user_tmp  # noqa: E402, F401 - a fixture: a folder for tests run as nobody


def copy_images(images: list[Path], folder: Path) -> Path:
    """A scan folder of its own holding copies of `images` (tests that add, change or delete files)."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in images:
        shutil.copy(p, folder / p.name)
    return folder


@pytest.fixture(scope="session")
def fullsize_images() -> list[Path]:
    files = sorted(FULLSIZE.glob("*.jpg"))
    assert len(files) == 105, f"expected the 105 full-size HAM10000 images under {FULLSIZE}"
    return files


@pytest.fixture(scope="session")
def model():
    from inference.session import Model

    return Model.load("paper_cnn")
