"""The runtime a result was computed with, for `--selftest` and Help > About (issue 23): the same model can give
other last digits under another ONNX Runtime or OpenCV, so a report of a difference must say which ran.

Read from the installed distributions' metadata (no import of Qt here: `inference` stays Qt-free), with the
imported modules' own `__version__` where the metadata is absent (a PyInstaller bundle may drop it).
"""

from __future__ import annotations

import importlib
import platform
import sys
from importlib import metadata

# (label, distributions to try, module whose __version__ to fall back on)
_PACKAGES = (
    ("onnxruntime", ("onnxruntime",), "onnxruntime"),
    ("numpy", ("numpy",), "numpy"),
    ("opencv", ("opencv-python-headless", "opencv-python"), "cv2"),
    ("simplejpeg", ("simplejpeg",), "simplejpeg"),
    ("PySide6", ("PySide6", "PySide6-Essentials"), ""),
)
_LOADED_ONLY = {"PySide6": "PySide6"}  # read from sys.modules when already imported (never imported here)


def _version(dists: tuple[str, ...], module: str, label: str = "") -> str:
    for dist in dists:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    loaded = sys.modules.get(_LOADED_ONLY.get(label, ""))
    if loaded is not None:  # a frozen build has no metadata; the window has Qt loaded already
        return str(getattr(loaded, "__version__", "unknown"))
    if label in _LOADED_ONLY:
        return "not loaded"
    if module:
        try:
            return str(getattr(importlib.import_module(module), "__version__", "unknown"))
        except ImportError:
            return "not installed"
    return "not installed"


def runtime_versions() -> dict[str, str]:
    """{"Python": "3.11.7", "onnxruntime": "...", "numpy": ..., "opencv": ..., "simplejpeg": ..., "PySide6": ...}"""
    out = {"Python": platform.python_version()}
    for label, dists, module in _PACKAGES:
        out[label] = _version(dists, module, label)
    return out


def runtime_line() -> str:
    return ", ".join(f"{k} {v}" for k, v in runtime_versions().items())
