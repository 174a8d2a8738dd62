"""Every command the user can reach (menus, toolbar, the queue's context menu, the empty queue's buttons,
shortcuts) does what it says.

Issue 22: "Scan folder" did nothing from any of its four places, because `triggered(bool)` landed in the
method's `folder` parameter and no test triggered the action. Here every action of every menu and of
the toolbar is triggered as a user would (file dialogs and message boxes answered by the test), and the
test fails when a new action appears without a check of what it did.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QMenu,
    QMessageBox,
    QToolBar,
    QToolButton,
)

from cases.vocab import Review
from gui.dialogs.about import AboutDialog
from gui.dialogs.compare import CompareDialog
from gui.dialogs.intended_use import IntendedUseDialog
from gui.dialogs.settings_dialog import SettingsDialog
from gui.dialogs.shortcuts import ShortcutsDialog
from tests.gui.helpers import small_images


def _folder(root: Path, n: int, start: int) -> Path:
    root.mkdir(parents=True)
    for f in small_images(n, start=start):
        shutil.copy2(f, root / f.name)
    return root


def _menu_actions(menu: QMenu) -> list[QAction]:
    out = []
    for a in menu.actions():
        if a.isSeparator():
            continue
        if a.menu() is not None:
            out += _menu_actions(a.menu())
        else:
            out.append(a)
    return out


def _csv_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.DictReader(fh))


class Dialogs:
    """Answers the file dialogs and records every modal dialog the commands open."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder: Path | None = None
        self.files: list[str] = []
        self.save_to: Path | None = None
        self.asked: list[str] = []
        self.shown: list[type] = []
        mp = monkeypatch

        def get_dir(_parent, title, *_a, **_k):  # noqa: ANN001, ANN202
            self.asked.append(f"folder: {title}")
            return str(self.folder) if self.folder else ""

        def get_files(_parent, title, *_a, **_k):  # noqa: ANN001, ANN202
            self.asked.append(f"files: {title}")
            return self.files, ""

        def get_save(_parent, title, *_a, **_k):  # noqa: ANN001, ANN202
            self.asked.append(f"save: {title}")
            return (str(self.save_to) if self.save_to else ""), ""

        mp.setattr(QFileDialog, "getExistingDirectory", staticmethod(get_dir))
        mp.setattr(QFileDialog, "getOpenFileNames", staticmethod(get_files))
        mp.setattr(QFileDialog, "getSaveFileName", staticmethod(get_save))
        for cls in (AboutDialog, IntendedUseDialog, ShortcutsDialog, SettingsDialog):
            mp.setattr(cls, "exec", lambda dlg, c=cls: self.shown.append(c) or 0)


def test_every_action_in_every_menu_and_the_toolbar_does_what_it_says(
        qtbot, window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    dialogs = Dialogs(monkeypatch)
    w, a = window, window.act
    rows = w.queue_model.rowCount
    tested: set[QAction] = set()

    def scan_via(trigger: Callable[[], None], folder: Path, expect: int) -> None:
        before, asked = rows(), len(dialogs.asked)
        dialogs.folder = folder
        with qtbot.waitSignal(w.controller.finished, timeout=60_000):
            trigger()
        assert dialogs.asked[asked:] == ["folder: Scan folder (sub-folders too)"]
        assert rows() == before + expect

    # Scan folder from all four places: the empty queue's button, the shortcut, the toolbar, the File menu.
    assert w.queue.stack.currentWidget() is w.queue.empty
    button = next(b for b in w.queue.empty.buttons if b.text().startswith("Scan folder"))
    scan_via(button.click, _folder(tmp_path / "f1", 2, 0), 2)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    scan_via(lambda: QTest.keyClick(w, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier
                                    | Qt.KeyboardModifier.ShiftModifier), _folder(tmp_path / "f2", 2, 2), 2)
    toolbar = w.findChild(QToolBar, "mainToolbar")
    tool_button = toolbar.widgetForAction(a.scan)
    assert isinstance(tool_button, QToolButton)
    scan_via(tool_button.click, _folder(tmp_path / "f3", 2, 4), 2)
    file_menu = next(m for m in w.menuBar().findChildren(QMenu) if m.title() == "&File")
    assert a.scan in file_menu.actions()
    scan_via(a.scan.trigger, _folder(tmp_path / "f4", 2, 6), 2)
    tested.add(a.scan)
    # Cancelling the dialog does nothing (and says nothing went wrong).
    dialogs.folder = None
    assert w.intake.scan_folder() is False

    # Open images.
    dialogs.files = [str(p) for p in sorted(_folder(tmp_path / "files", 2, 8).iterdir())]
    before = rows()
    with qtbot.waitSignal(w.controller.finished, timeout=60_000):
        a.open.trigger()
    assert dialogs.asked[-1] == "files: Open images" and rows() == before + 2
    tested.add(a.open)

    # Bundled samples.
    if a.samples.isEnabled():
        before = rows()
        with qtbot.waitSignal(w.controller.finished, timeout=60_000):
            a.samples.trigger()
        assert rows() > before
    else:
        assert w.samples_problem  # disabled only with a reason, shown as its tooltip
    tested.add(a.samples)

    # Recent folders (a sub-menu): each entry scans its folder again (all its images are known already).
    w._fill_recent_menu()
    assert [r.text() for r in w.recent_menu.actions()][:2] == [str(tmp_path / "files"), str(tmp_path / "f4")]
    recent = w.recent_menu.actions()[1]
    with qtbot.waitSignal(w.controller.finished, timeout=60_000) as done:
        recent.trigger()
    assert done.args[0].total == 2 and done.args[0].duplicates == 2
    recent_actions = set(w.recent_menu.actions())
    tested |= recent_actions

    # Navigation.
    q = w.queue
    order = q.visible_case_ids()
    q.select_case(order[0])
    a.next.trigger()
    assert q.current_case_id() == order[1] and q.selected_case_ids() == [order[1]]
    a.prev.trigger()
    assert q.current_case_id() == order[0]
    tested |= {a.next, a.prev}
    w.queue_model.set_review(order[1], Review.REVIEWED)
    a.next_unreviewed.trigger()
    assert q.current_case_id() == order[2]
    tested.add(a.next_unreviewed)

    # Review status: Ctrl+1..4 on the case shown.
    for status, action in zip(Review, a.review, strict=True):
        action.trigger()
        assert w.queue_model.record(order[2]).review_status == status
        assert w.case_panel.review.currentText().lower() == status.label.lower()
        tested.add(action)

    # Set case ID (one case: asked for the ID, stored, shown).
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *_a, **_k: ("MRN-22", True)))
    a.set_case_id.trigger()
    assert w.queue_model.record(order[2]).patient_id == "MRN-22" and "MRN-22" in w.viewer.caption.text()
    tested.add(a.set_case_id)

    # Exports.
    dialogs.save_to = tmp_path / "out" / "queue.csv"
    dialogs.save_to.parent.mkdir()
    a.export_csv.trigger()
    assert _csv_rows(dialogs.save_to) == rows()
    dialogs.save_to = tmp_path / "out" / "selected.csv"
    a.export_selected.trigger()
    assert _csv_rows(dialogs.save_to) == 1  # the case shown
    dialogs.save_to = tmp_path / "out" / "case.pdf"
    a.report.trigger()
    assert dialogs.save_to.read_bytes().startswith(b"%PDF")
    tested |= {a.export_csv, a.export_selected, a.report}

    # Dialogs.
    for action, cls in ((a.settings, SettingsDialog), (a.about, AboutDialog), (a.shortcuts, ShortcutsDialog),
                        (a.intended_use, IntendedUseDialog)):
        action.trigger()
        assert dialogs.shown[-1] is cls
        tested.add(action)

    # Viewer: zoom, fit, 1:1, heat map.
    viewer = w.viewer.viewer
    qtbot.waitUntil(lambda: viewer.has_image, timeout=10_000)
    a.fit.trigger()
    fit = viewer.zoom
    assert fit == pytest.approx(viewer.fit_zoom(), rel=0.03)  # fitInView keeps a small margin
    a.zoom_in.trigger()
    assert viewer.zoom > fit
    a.zoom_out.trigger()
    a.zoom_out.trigger()
    assert viewer.zoom < fit
    a.actual.trigger()
    assert viewer.zoom == pytest.approx(1.0)
    was = w.viewer.attention_button.isChecked()
    a.heatmap.trigger()
    assert w.viewer.attention_button.isChecked() == (not was if w.viewer.attention_button.isEnabled() else was)
    tested |= {a.fit, a.zoom_in, a.zoom_out, a.actual, a.heatmap}

    # Filter box focus; group by case ID (checkable: on, then off).
    a.filter.trigger()
    qtbot.waitUntil(lambda: q.filter.hasFocus(), timeout=5000)
    a.group.trigger()
    assert a.group.isChecked() and q.grouped and q.stack.currentWidget() is q.tree
    assert q.current_case_id() == order[2]
    a.group.trigger()
    assert not q.grouped and q.stack.currentWidget() is q.view
    tested |= {a.filter, a.group}

    # Compare: two selected cases side by side.
    q.select_case(order[0])
    sm = q.view.selectionModel()
    sm.select(q.proxy.index(1, 0), sm.SelectionFlag.Select | sm.SelectionFlag.Rows)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *_a, **_k: QMessageBox.StandardButton.Yes))
    a.compare.trigger()
    compare = [d for d in QApplication.topLevelWidgets() if isinstance(d, CompareDialog) and d.isVisible()]
    assert len(compare) == 1
    compare[0].close()
    tested.add(a.compare)

    # Reveal the file in its folder.
    opened = []
    import gui.case_commands as cc

    monkeypatch.setattr(cc.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    q.select_case(order[0])
    a.reveal.trigger()
    assert opened == [str(Path(w.queue_model.record(order[0]).path).parent)]
    tested.add(a.reveal)

    # Re-analyse the case shown.
    with qtbot.waitSignal(w.controller.finished, timeout=60_000) as done:
        a.rerun.trigger()
    assert done.args[0].total == 1 and done.args[0].processed == 1
    tested.add(a.rerun)

    # Remove from the queue (answered Yes: hidden, kept in the database).
    before = rows()
    a.remove.trigger()
    assert rows() == before - 1 and order[0] not in q.visible_case_ids()
    tested.add(a.remove)

    # Cancel a running scan.
    big = _folder(tmp_path / "big", 150, 20)
    with qtbot.waitSignal(w.controller.finished, timeout=60_000) as done:
        assert w.intake.scan_folder(big)
        assert a.cancel.isEnabled()
        a.cancel.trigger()
    assert done.args[0].cancelled and done.args[0].processed < 150
    assert not a.cancel.isEnabled()
    tested.add(a.cancel)

    # Clinic: import outcomes (the CSV answered by the test, then the import confirmed), and the clinic's
    # own figures.
    shown = w.queue_model.record(order[1])
    outcomes_csv = tmp_path / "outcomes.csv"
    outcomes_csv.write_text(f"sha256,diagnosis,source\n{shown.sha256},nv,histopathology\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *_a, **_k: (str(outcomes_csv), "")))
    clinic = w.clinic
    clinic.import_action.trigger()
    qtbot.waitUntil(lambda: clinic.import_dialog is not None and clinic.import_dialog.isVisible(), timeout=20_000)
    clinic.import_dialog.accept()
    qtbot.waitUntil(lambda: w.queue_model.outcomes.get(order[1], ("",))[0] == "nv", timeout=10_000)
    clinic.performance_action.trigger()
    qtbot.waitUntil(lambda: clinic.performance is not None and clinic.performance.isVisible(), timeout=20_000)
    clinic.performance.close()
    tested |= {clinic.import_action, clinic.performance_action}

    # Quit closes the window (last: it closes the database).
    a.quit.trigger()
    assert not w.isVisible()
    tested.add(a.quit)

    # Nothing the user can reach went untested.
    reachable = {act for m in w.menuBar().findChildren(QMenu) for act in _menu_actions(m)}
    reachable |= {act for act in toolbar.actions() if not act.isSeparator()}
    context = [act for act in q.view.actions() if not act.isSeparator()]
    assert context and q.view.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
    assert [act for act in q.tree.actions() if not act.isSeparator()] == context
    reachable |= set(context)
    reachable -= recent_actions  # rebuilt every time the menu opens; one of them was triggered above
    assert reachable - tested == set(), [x.text() for x in reachable - tested]
