"""The layering contract: inference/ never imports Qt, torch or training; nothing opens a network socket."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

NETWORK = {"socket", "urllib", "http", "requests", "httpx", "aiohttp", "ftplib", "smtplib"}


def imported_modules(folder: Path) -> dict[str, set[str]]:
    out = {}
    for f in folder.rglob("*.py"):
        mods = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                mods |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                mods.add(node.module.split(".")[0])
        out[str(f.relative_to(ROOT))] = mods
    return out


def test_inference_is_qt_and_torch_free():
    for f, mods in imported_modules(ROOT / "inference").items():
        assert not mods & {"PySide6", "PyQt5", "PyQt6", "shiboken6", "torch", "training", "gui"}, f


def test_no_network_modules_in_the_app():
    for room in ("inference", "gui"):
        if (ROOT / room).is_dir():
            for f, mods in imported_modules(ROOT / room).items():
                assert not mods & NETWORK, f
