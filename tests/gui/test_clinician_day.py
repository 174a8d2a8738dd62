"""Issue 11: case IDs, patients and follow-up, filters, next unreviewed, intended use, recent folders."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from cases.vocab import UNASSIGNED, Review
from gui.app import create_main_window
from gui.queue_model import Col
from tests.gui.helpers import patient_folders, run_scan, small_images


def _flat_folder(root: Path, n: int) -> Path:
    root.mkdir(parents=True)
    for f in small_images(n):
        shutil.copy2(f, root / f.name)
    return root


def test_case_ids_mean_something_and_can_be_set_on_many(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    run_scan(qtbot, window, [_flat_folder(tmp_path / "Downloads", 4)])
    recs = window.queue_model.records()
    assert {r.patient_id for r in recs} == {""}  # a flat folder is not a patient
    proxy = window.queue.proxy
    assert {proxy.index(r, Col.CASE_ID).data() for r in range(proxy.rowCount())} == {UNASSIGNED}
    ids = window.queue.visible_case_ids()
    window.queue.select_case(ids[0])
    for cid in ids[1:3]:
        window.queue.view.selectionModel().select(
            proxy.index(ids.index(cid), Col.CASE_ID),
            window.queue.view.selectionModel().SelectionFlag.Select
            | window.queue.view.selectionModel().SelectionFlag.Rows)
    assert len(window.queue.selected_case_ids()) == 3
    assert window.cases.set_case_id_selected("MRN-7") == 3
    assert sorted(r.patient_id for r in window.store.load_cases()) == ["", "MRN-7", "MRN-7", "MRN-7"]
    assert "MRN-7" in window.case_panel.title.text() and "MRN-7" in window.viewer.caption.text()
    assert sum(1 for a in window.store.audit_log() if a[3] == "case ID set") == 3
    # Per-patient sub-folders of the scanned root do name the case.
    run_scan(qtbot, window, [patient_folders(tmp_path / "clinic", small_images(4, start=10), per_patient=2)])
    assert {"P001", "P002"} <= {r.patient_id for r in window.queue_model.records()}


def test_filters_counts_and_next_unreviewed(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    run_scan(qtbot, window, small_images(12))
    q = window.queue
    counts = window.queue_model.counts
    state = max(counts, key=lambda s: counts[s])
    q.count_buttons[state].click()  # the count is a filter
    assert q.filter.text() == state.label and q.proxy.rowCount() == counts[state]
    q.count_buttons[state].click()
    assert q.filter.text() == "" and q.proxy.rowCount() == 12
    ids = q.visible_case_ids()
    window.queue_model.set_review(ids[1], Review.REVIEWED)
    q.filter.setText("reviewed")  # the filter matches the review status
    assert q.visible_case_ids() == [ids[1]]
    q.filter.setText("")
    q.select_case(ids[0])
    window.act.next_unreviewed.trigger()  # N: skips the reviewed one
    assert q.current_case_id() == ids[2] and window.case_panel.case_id == ids[2]
    window.activateWindow()
    q.view.setFocus()
    QTest.keyClick(q.view, Qt.Key.Key_N)  # the key itself, in the queue
    assert q.current_case_id() == ids[3]
    window.case_panel.note.setFocus()
    QTest.keyClicks(window.case_panel.note, "n")  # but typing an "n" in the note is just a letter
    assert q.current_case_id() == ids[3] and window.case_panel.note.toPlainText().endswith("n")


def test_group_by_case_id_and_compare_two_visits(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    root = patient_folders(tmp_path / "clinic", small_images(6), per_patient=3)
    run_scan(qtbot, window, [root])
    window.act.group.trigger()
    q = window.queue
    assert q.grouped and q.stack.currentWidget() is q.tree and q.groups.rowCount() == 2
    head = q.groups.item(0, 0)
    worst = min((window.queue_model.record(i) for i in q.ordered_case_ids()[:3]),
                key=lambda r: (r.result.priority or "z"))
    assert head.rowCount() == 3 and "(3 images)" in q.groups.item(0, 2).text()
    first_child = head.child(0, 0).index()
    q.tree.setCurrentIndex(first_child)
    cid = q.current_case_id()
    assert cid is not None and window.case_panel.case_id == cid
    assert worst is not None
    window.act.next.trigger()
    assert window.case_panel.case_id == q.ordered_case_ids()[1]
    # Two images of one case side by side, zoom and pan together.
    sm = q.tree.selectionModel()
    sm.select(head.child(2, 0).index(), sm.SelectionFlag.Select | sm.SelectionFlag.Rows)
    assert len(q.selected_case_ids()) == 2
    dlg = window.cases.compare_selected()
    qtbot.addWidget(dlg)
    a, b = dlg.viewers
    qtbot.waitUntil(lambda: a.has_image and b.has_image, timeout=10_000)
    a.zoom_in()
    a.zoom_in()
    assert abs(a.zoom / a.fit_zoom() - b.zoom / b.fit_zoom()) < 1e-6
    a.horizontalScrollBar().setValue(a.horizontalScrollBar().maximum())
    assert b.horizontalScrollBar().value() == b.horizontalScrollBar().maximum() > 0
    window.act.group.trigger()
    assert not q.grouped and q.stack.currentWidget() is q.view


def test_first_start_notice_is_shown_once_and_kept_in_help(qtbot, make_window) -> None:  # noqa: ANN001
    w = make_window()
    assert w.notice.isVisible()
    w.notice._dismiss()
    w.close()
    w2 = make_window()
    assert not w2.notice.isVisible()
    assert "overstates" in w2.about_dialog().text()
    from gui.dialogs.intended_use import IntendedUseDialog

    dlg = IntendedUseDialog(w2.current_card(), w2)
    qtbot.addWidget(dlg)
    assert "other devices" in dlg.browser.toPlainText() or "other dermatoscopes" in dlg.browser.toPlainText()


def test_recent_folders_drop_highlight_and_exports_to_documents(qtbot, window, tmp_path: Path,
                                                                  monkeypatch) -> None:  # noqa: ANN001
    folder = _flat_folder(tmp_path / "visit", 2)
    run_scan(qtbot, window, [folder])
    assert window.intake.recent_folders()[0] == str(folder)
    window._fill_recent_menu()
    assert [a.text() for a in window.recent_menu.actions()][0] == str(folder)
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(folder))])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, md, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted() and window.drop_overlay.isVisible()
    window.dragLeaveEvent(None)
    assert not window.drop_overlay.isVisible()
    # The export dialog starts in Documents, never the originals' folder.
    docs = tmp_path / "home" / "Documents"
    import gui.dialogs.settings_dialog as sd

    monkeypatch.setattr(sd.QStandardPaths, "writableLocation", lambda _loc: str(docs))
    seen = {}

    def fake_dialog(_parent, _title, start, _filter):  # noqa: ANN001, ANN202
        seen["start"] = start
        return "", ""

    import gui.case_commands as cc

    monkeypatch.setattr(cc.QFileDialog, "getSaveFileName", fake_dialog)
    window.cases.export_csv()
    assert Path(seen["start"]).parent == docs and docs.is_dir()


def test_window_restores_its_splitter(qtbot, make_window) -> None:  # noqa: ANN001
    w = make_window()
    w.splitter.setSizes([500, 500, 360])
    w._save_splitter()
    sizes = w.splitter.sizes()
    w.close()
    w2 = create_main_window()
    qtbot.addWidget(w2)
    w2.resize(1400, 860)
    w2.show()
    assert w2.splitter.sizes() == sizes
