"""The queue: priority sort by default, selection and scroll kept while results arrive, filter, edits."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from cases.policy import triage_state
from gui.queue_model import CASE_ID_ROLE, Col
from tests.gui.helpers import full_images, patient_folders, run_scan, small_images


def _shown_ids(window) -> list[int]:  # noqa: ANN001
    return window.queue.visible_case_ids()


def test_default_sort_is_by_priority_then_suspicion(qtbot, window) -> None:  # noqa: ANN001
    """Priority first; then most suspicious first: P(mel) within urgent (suspected melanoma), P(malignant) else."""
    run_scan(qtbot, window, full_images(20))
    header = window.queue.view.horizontalHeader()
    assert header.sortIndicatorSection() == Col.PRIORITY
    recs = [window.queue_model.record(i) for i in _shown_ids(window)]
    def suspicion(r) -> float:  # noqa: ANN001
        res = r.result
        if triage_state(res).value == "urgent" and res.probabilities:
            return res.probabilities["mel"]
        return res.malignant_score or 0

    keys = [(triage_state(r.result).rank, -suspicion(r)) for r in recs]
    assert keys == sorted(keys)
    assert len({triage_state(r.result) for r in recs}) >= 2  # a real mix, so the order is meaningful
    for row in range(window.queue.proxy.rowCount()):
        idx = window.queue.proxy.index(row, Col.PRIORITY)
        assert idx.data() in {"Urgent", "Soon", "Routine", "Cannot assess", "Error"}
        assert not idx.data(Qt.ItemDataRole.DecorationRole).isNull()  # icon as well as text


def test_sorting_and_new_results_keep_the_selection(qtbot, window) -> None:  # noqa: ANN001
    run_scan(qtbot, window, full_images(12))
    ids = _shown_ids(window)
    chosen = ids[len(ids) // 2]
    assert window.queue.select_case(chosen)
    shown = window.case_panel.case_id
    assert shown == chosen
    window.queue.view.sortByColumn(Col.FILE, Qt.SortOrder.DescendingOrder)
    assert window.queue.current_case_id() == chosen
    window.queue.view.sortByColumn(Col.PRIORITY, Qt.SortOrder.AscendingOrder)
    assert window.queue.current_case_id() == chosen
    assert window.queue.selected_case_ids() == [chosen]
    # More results stream in (and sort around the selected row): the selection does not move.
    run_scan(qtbot, window, small_images(40))
    assert window.queue_model.rowCount() == 52
    assert window.queue.current_case_id() == chosen
    assert window.queue.selected_case_ids() == [chosen]
    assert window.case_panel.case_id == chosen


def test_bursts_do_not_move_the_rows_in_view(qtbot, window) -> None:  # noqa: ANN001
    run_scan(qtbot, window, small_images(60))
    view = window.queue.view
    view.resize(view.width(), 400)
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    qtbot.wait(10)
    top_before = view.indexAt(QPoint(0, 0)).data(CASE_ID_ROLE)
    y_before = view.visualRect(view.indexAt(QPoint(0, 0))).top()
    run_scan(qtbot, window, full_images(30))  # many of these sort above the rows in view
    assert window.queue_model.rowCount() == 90
    top_after = view.indexAt(QPoint(0, 0)).data(CASE_ID_ROLE)
    assert top_after == top_before
    assert view.visualRect(view.indexAt(QPoint(0, 0))).top() == y_before


def test_filter_by_id_file_name_and_class(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    folder = patient_folders(tmp_path / "c", full_images(6), per_patient=3)
    run_scan(qtbot, window, [folder])
    window.queue.filter.setText("p002")
    assert {window.queue_model.record(i).patient_id for i in _shown_ids(window)} == {"P002"}
    name = full_images(1)[0].name
    window.queue.filter.setText(name[:-4])
    assert [window.queue_model.record(i).file_name for i in _shown_ids(window)] == [name]
    top = window.queue_model.records()[0].result.top_name
    window.queue.filter.setText(top.upper())
    shown = [window.queue_model.record(i) for i in _shown_ids(window)]
    assert shown and all(r.result.top_name == top for r in shown)
    window.queue.filter.clear()
    assert len(_shown_ids(window)) == 6


def test_case_id_and_review_edits_are_stored_and_audited(qtbot, window) -> None:  # noqa: ANN001
    run_scan(qtbot, window, full_images(2))
    proxy = window.queue.proxy
    idx = proxy.index(0, Col.CASE_ID)
    cid = idx.data(CASE_ID_ROLE)
    assert proxy.setData(idx, "MRN-0042")
    assert proxy.setData(proxy.index(idx.row(), Col.REVIEW), "referred")
    assert not proxy.setData(proxy.index(idx.row(), Col.REVIEW), "cured")  # only the four statuses
    row = window.queue.proxy.mapFromSource(window.queue_model.index(window.queue_model.row_of(cid), 0)).row()
    assert proxy.index(row, Col.REVIEW).data() == "Referred"
    assert proxy.index(row, Col.CASE_ID).data() == "MRN-0042"
    window.queue.select_case(cid)
    window.case_panel.note.setPlainText("Refer to dermatology, 2 weeks")
    window.case_panel.save_note()
    rec = window.store.get_case(cid)
    assert (rec.patient_id, rec.review_status, rec.note) == (
        "MRN-0042",
        "referred",
        "Refer to dermatology, 2 weeks",
    )
    actions = [a[3] for a in window.store.audit_log(cid)]
    assert actions == ["added", "case ID set", "review status", "note edited"]
    # Keyboard review (Ctrl+3 = referred, Ctrl+4 = dismissed) works on the selection.
    window.act.review[3].trigger()
    assert window.store.get_case(cid).review_status == "dismissed"
    assert window.case_panel.review.currentText() == "Dismissed"


def test_next_and_previous_case_follow_the_order_shown(qtbot, window) -> None:  # noqa: ANN001
    run_scan(qtbot, window, full_images(4))
    ids = _shown_ids(window)
    window.act.next.trigger()
    assert window.queue.current_case_id() == ids[0]
    window.act.next.trigger()
    window.act.next.trigger()
    assert window.queue.current_case_id() == ids[2]
    window.act.prev.trigger()
    assert window.queue.current_case_id() == ids[1]
