"""GUI test fixtures: offscreen Qt, a temporary data folder and temporary QSettings for every test.

Nothing a test does may reach the user's real database or settings: DERMTRIAGE_DATA_DIR points into
tmp_path and QSettings is switched to INI files under tmp_path before any window is created.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSettings  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp) -> Iterator[Path]:  # noqa: ANN001
    data = tmp_path / "appdata"
    monkeypatch.setenv("DERMTRIAGE_DATA_DIR", str(data))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QCoreApplication.setOrganizationName("DermTriageTest")
    QCoreApplication.setApplicationName("DermTriageTest")
    yield data


@pytest.fixture
def make_window(qtbot) -> Iterator[Callable[[], object]]:  # noqa: ANN001
    """Build main windows the way the app does; every one is closed (thread stopped, DB closed) after."""
    from gui.app import create_main_window

    windows = []

    def make():  # noqa: ANN202
        w = create_main_window()
        w.resize(1400, 860)
        w.show()
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.close()


@pytest.fixture
def window(make_window):  # noqa: ANN001, ANN201
    return make_window()
