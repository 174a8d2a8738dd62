"""Issue 11's blocker: a row opens its case whichever cell is clicked, by mouse or keyboard, starting from
the command line (`main.py FOLDER`) as a user would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from dermtriage.cli import main as cli_main
from gui.queue_model import CASE_ID_ROLE, Col
from tests.gui.helpers import REPO, run_scan, small_images


def _click_every_column(qtbot, window) -> None:  # noqa: ANN001
    """Click one cell of each visible column, each time on another row, and check the case panel."""
    view, proxy = window.queue.view, window.queue.proxy
    n = proxy.rowCount()
    assert n >= 3
    clicked = 0
    sizes = None
    for col in range(proxy.columnCount()):
        if view.isColumnHidden(col):
            continue
        row = (clicked * 2 + 1) % n
        idx = proxy.index(row, col)
        view.scrollTo(idx)
        rect = view.visualRect(idx)
        assert rect.isValid() and view.viewport().rect().contains(rect.center())
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
        cid = proxy.index(row, Col.CASE_ID).data(CASE_ID_ROLE)
        rec = window.queue_model.record(cid)
        qtbot.waitUntil(lambda rec=rec: window.case_panel.case_id == rec.id, timeout=3000)
        assert rec.file_name in window.case_panel.title.text(), (col, window.case_panel.title.text())
        assert window.queue.current_case_id() == cid and window.queue.selected_case_ids() == [cid]
        sizes = sizes or window.splitter.sizes()
        assert window.splitter.sizes() == sizes  # selecting never moves the splitter
        clicked += 1
    shown = [c for c in Col if not view.isColumnHidden(c)]
    assert clicked == len(shown) and {Col.PRIORITY, Col.MALIGNANT, Col.CASE_ID, Col.FILE} <= set(shown)


def _keyboard_moves_the_case(qtbot, window) -> None:  # noqa: ANN001
    view, proxy = window.queue.view, window.queue.proxy
    view.setCurrentIndex(proxy.index(0, Col.FILE))  # the cursor on a cell that is not the Case ID
    view.setFocus()
    for row in (1, 2):
        QTest.keyClick(view, Qt.Key.Key_Down)
        cid = proxy.index(row, Col.CASE_ID).data(CASE_ID_ROLE)
        assert window.case_panel.case_id == cid
        assert window.queue_model.record(cid).file_name in window.case_panel.title.text()
    QTest.keyClick(view, Qt.Key.Key_Up)
    assert window.case_panel.case_id == proxy.index(1, Col.CASE_ID).data(CASE_ID_ROLE)
    assert window.act.report.isEnabled()


def test_clicking_any_cell_or_using_the_keyboard_opens_the_case(qtbot, window) -> None:  # noqa: ANN001
    run_scan(qtbot, window, small_images(6))
    _click_every_column(qtbot, window)
    _keyboard_moves_the_case(qtbot, window)


def test_main_py_folder_fills_the_queue_and_any_click_opens_a_case(qtbot, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    folder = tmp_path / "incoming"
    folder.mkdir()
    for f in small_images(5):
        shutil.copy2(f, folder / f.name)
    seen = {}

    def event_loop(app, window) -> int:  # noqa: ANN001 - instead of app.exec(): drive the real window
        qtbot.waitUntil(lambda: window.queue_model.rowCount() == 5 and not window.controller.busy, timeout=60_000)
        seen["files"] = {r.file_name for r in window.queue_model.records()}
        _click_every_column(qtbot, window)
        window.close()
        return 0

    import gui.app

    monkeypatch.setattr(gui.app, "_event_loop", event_loop)
    assert cli_main([str(folder)]) == 0
    assert seen["files"] == {f.name for f in folder.iterdir()}


def test_help_prints_usage_without_a_display(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DERMTRIAGE_DATA_DIR": str(tmp_path / "data")}
    for args, words in ((["--help"], ["FILE_OR_FOLDER", "scan FOLDER --out FILE", "--selftest"]),
                        (["scan", "--help"], ["--out", "--policy", "--model"])):
        proc = subprocess.run([sys.executable, str(REPO / "main.py"), *args], capture_output=True, text=True,
                              env=env, timeout=120, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        for w in words:
            assert w in proc.stdout
    assert not (tmp_path / "data").exists()  # --help touches no database
