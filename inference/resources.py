"""Where bundled files live, from source and inside a PyInstaller build (one helper, used everywhere)."""

from __future__ import annotations

import sys
from pathlib import Path


def app_root() -> Path:
    """The folder holding `assets/`: the repository from source, the unpacked bundle when frozen."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parents[1]


def assets_dir() -> Path:
    return app_root() / "assets"


def models_dir() -> Path:
    return assets_dir() / "models"


def samples_dir() -> Path:
    return assets_dir() / "samples"
