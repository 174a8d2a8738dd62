"""Shared paths and fixtures: real HAM10000 images from ../shared/data, the shipped model, bad files."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def fullsize_images() -> list[Path]:
    files = sorted(FULLSIZE.glob("*.jpg"))
    assert len(files) == 105, f"expected the 105 full-size HAM10000 images under {FULLSIZE}"
    return files


@pytest.fixture(scope="session")
def model():
    from inference.session import Model

    return Model.load("paper_cnn")
