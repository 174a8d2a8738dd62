"""Where bundled files live: in a PyInstaller build, in an installed wheel, or in a source checkout.

One helper, used everywhere. The wheel carries `assets/` as the data package `dermtriage.assets`, found
through importlib.resources, so an installed `dermtriage` finds its models from any working directory.
"""

from __future__ import annotations

import sys
from functools import cache
from importlib import resources
from pathlib import Path

ASSETS_PACKAGE = "dermtriage.assets"


@cache
def assets_dir() -> Path:
    """The folder holding models/, samples/, icons/ and quality_gate.json."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "assets"
    source = Path(__file__).resolve().parents[1] / "assets"
    if (source / "models").is_dir():  # a source checkout (or an editable install of one)
        return source
    try:
        installed = Path(str(resources.files(ASSETS_PACKAGE)))
    except (ModuleNotFoundError, TypeError):
        return source
    return installed if (installed / "models").is_dir() else source


def models_dir() -> Path:
    return assets_dir() / "models"


def samples_dir() -> Path:
    return assets_dir() / "samples"
