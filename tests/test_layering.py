"""The layering contract: inference/ and cases/ never import Qt, torch or training; gui/ keeps no SQL;
nothing opens a network socket. (import-linter checks the same layers in CI: see pyproject.toml.)"""

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


def test_cases_is_qt_free_and_never_reaches_up():
    for f, mods in imported_modules(ROOT / "cases").items():
        assert not mods & {"PySide6", "PyQt5", "PyQt6", "shiboken6", "torch", "training", "gui"}, f


def test_gui_keeps_no_sql():
    for f, mods in imported_modules(ROOT / "gui").items():
        assert "sqlite3" not in mods, f


def test_no_network_modules_in_the_app():
    for room in ("inference", "cases", "gui", "dermtriage"):
        if (ROOT / room).is_dir():
            for f, mods in imported_modules(ROOT / room).items():
                assert not mods & NETWORK, f


def test_no_module_over_400_lines():
    """Small modules named for what they hold (issue 13): a file past 400 lines holds more than one room."""
    rooms = ("inference", "cases", "gui", "dermtriage", "training", "benchmarks", "tools", "tests")
    long = {str(p.relative_to(ROOT)): n for room in rooms for p in (ROOT / room).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long, long
