"""Windows and dialogs fit the screen they open on (issue 22: at 1024x700 the status bar and About's Close
button were off-screen), and remember the size the user gave them.

The offscreen platform has one 800x800 screen, so the screen's available geometry is replaced by the
sizes the issue was tried at; everything else (layouts, minimum sizes, saved geometry) is real.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import QDialogButtonBox

import gui.screen_fit as screen_fit
from gui.app import create_main_window
from gui.screen_fit import FRAME_H, FRAME_W
from gui.settings import AppSettings


@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[QRect]]:
    area = [QRect(0, 0, 1024, 700)]
    monkeypatch.setattr(screen_fit, "available_geometry", lambda _w: area[0])
    yield area


@pytest.fixture
def open_window(qtbot) -> Iterator:  # noqa: ANN001
    """A main window built as the app builds it (without the test fixture's fixed resize)."""
    windows = []

    def make():  # noqa: ANN202
        w = create_main_window()
        w.show()
        qtbot.waitExposed(w)
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.close()


def _inside(widget, area: QRect) -> bool:  # noqa: ANN001
    """The window with its frame (title bar) lies within the available area."""
    return area.contains(widget.frameGeometry())


@pytest.mark.parametrize("size", [QSize(1024, 700), QSize(1366, 768)])
def test_main_window_fits_the_screen_it_opens_on(qtbot, screen, open_window, size: QSize) -> None:  # noqa: ANN001
    screen[0] = QRect(QPoint(0, 0), size)
    w = open_window()
    assert w.width() < 1600 and _inside(w, screen[0]), (w.frameGeometry(), screen[0])
    hint = w.minimumSizeHint()
    assert hint.width() + FRAME_W <= size.width() and hint.height() + FRAME_H <= size.height()
    # The status bar and the case panel are inside the window (so on the screen).
    bar = w.statusBar()
    assert w.rect().contains(QRect(bar.mapTo(w, QPoint(0, 0)), bar.size()))
    panel = w.case_panel
    assert w.rect().contains(QRect(panel.mapTo(w, QPoint(0, 0)), panel.size()))


def test_geometry_saved_on_a_larger_screen_is_brought_onto_this_one(qtbot, screen, open_window) -> None:  # noqa: ANN001
    screen[0] = QRect(0, 0, 1920, 1080)
    big = open_window()
    big.resize(1800, 1000)
    big.close()  # saves its geometry
    assert AppSettings().bytes_value(AppSettings.GEOMETRY) is not None
    screen[0] = QRect(0, 0, 1024, 700)
    w = open_window()
    assert _inside(w, screen[0]), w.frameGeometry()


def test_about_fits_a_700px_screen_and_dialogs_remember_their_size(qtbot, screen, open_window) -> None:  # noqa: ANN001
    w = open_window()
    about = w.about_dialog()
    qtbot.addWidget(about)
    about.show()
    qtbot.waitExposed(about)
    assert _inside(about, screen[0]), about.frameGeometry()
    close = about.findChild(QDialogButtonBox)
    top_left = close.mapTo(about, QPoint(0, 0)) + about.geometry().topLeft()
    assert screen[0].contains(QRect(top_left, close.size()))  # the Close button is on the screen
    about.resize(600, 480)
    about.close()
    again = w.about_dialog()
    qtbot.addWidget(again)
    assert again.size() == QSize(600, 480)  # the user's size
    again.resize(3000, 3000)
    again.close()
    third = w.about_dialog()
    qtbot.addWidget(third)
    assert _inside(third, screen[0])  # a remembered size never exceeds the screen
