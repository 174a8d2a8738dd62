"""Scanning: a 50-image folder, bad files inside a batch, cancel mid-scan, duplicates, drag and drop."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from cases.job import BATCH_SIZE, ScanItem
from gui.queue_model import CASE_ID_ROLE, Col
from tests.gui.helpers import full_images, patient_folders, run_scan, small_images


def _probabilities_ok(rec) -> bool:  # noqa: ANN001
    p = rec.result.probabilities or {}
    return len(p) == 7 and abs(sum(p.values()) - 1.0) < 1e-4 and rec.result.top_class in p


def test_folder_scan_of_50_images_fills_the_queue(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    folder = patient_folders(tmp_path / "clinic", small_images(50), per_patient=10)
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as done:
        assert window.start_scan([folder])
        # Rows stream in while the scan is running; the GUI stays responsive (we are processing events).
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 50, timeout=5_000)
    summary = done.args[0]
    assert (summary.total, summary.processed, summary.added, summary.cancelled) == (50, 50, 50, False)
    recs = window.queue_model.records()
    ok = [r for r in recs if r.result.status == "ok"]
    assert len(ok) >= 45, [r.result.message for r in recs if r.result.status != "ok"]
    assert all(_probabilities_ok(r) for r in ok)
    assert all(r.result.status == "rejected" and r.result.message for r in recs if r.result.status != "ok")
    assert {r.patient_id for r in recs} == {f"P{i:03d}" for i in range(1, 6)}  # parent folder names
    assert all(
        r.result.model_name == window.state.model.name and r.result.model_version == window.state.model.version
        for r in recs
    )
    # The count line matches the rows, and the status bar reports the queue size.
    counts = window.queue_model.counts
    assert sum(counts.values()) == 50
    assert window.size_label.text() == "Queue: 50 cases"
    assert "images/s" in window.rate_label.text()
    # Originals untouched, nothing written next to them.
    assert sorted(p.name for p in (folder / "P001").iterdir()) == sorted(f.name for f in small_images(10))


def test_bad_files_become_error_rows_and_the_batch_goes_on(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    folder = patient_folders(tmp_path / "mixed", small_images(3, start=100), per_patient=3)
    bad = folder / "P001"
    (bad / "junk.jpg").write_bytes(os.urandom(4096))
    (bad / "empty.png").write_bytes(b"")
    (bad / "notes.txt").write_text("not an image")
    summary = run_scan(qtbot, window, [folder])
    assert summary.skipped_non_images == 1 and summary.total == 5
    recs = {r.file_name: r for r in window.queue_model.records()}
    assert set(recs) == {f.name for f in small_images(3, start=100)} | {"junk.jpg", "empty.png"}
    assert recs["empty.png"].result.status == "error" and "empty" in recs["empty.png"].result.message
    assert recs["junk.jpg"].result.status == "error" and "not a supported image" in recs["junk.jpg"].result.message
    assert sum(r.result.status == "ok" for r in recs.values()) == 3
    # The error rows say "Error" in text and carry an icon and the reason as tooltip.
    proxy = window.queue.proxy
    seen_error_rows = 0
    for row in range(proxy.rowCount()):
        idx = proxy.index(row, Col.PRIORITY)
        rec = window.queue_model.record(proxy.index(row, Col.CASE_ID).data(CASE_ID_ROLE))
        if rec.result.status == "error":
            assert idx.data() == "Error"
            assert not idx.data(Qt.ItemDataRole.DecorationRole).isNull()
            assert idx.data(Qt.ItemDataRole.ToolTipRole) == rec.result.message
            seen_error_rows += 1
    assert seen_error_rows == 2


def test_cancel_stops_within_a_few_batches_and_keeps_results(qtbot, window) -> None:  # noqa: ANN001
    paths = small_images(3000)
    assert window.start_scan(paths)
    qtbot.waitUntil(lambda: window.queue_model.rowCount() > 0, timeout=30_000)
    with qtbot.waitSignal(window.controller.finished, timeout=30_000) as done:
        shown_at_cancel = window.queue_model.rowCount()
        window.progress.cancel.click()
    summary = done.args[0]
    assert summary.cancelled
    # Counted in images, not seconds (a loaded machine is slower, not less prompt): the job stops at its
    # next batch; what was in flight (the batch being run, the decode pool's read-ahead and the results of
    # the last 100 ms burst not yet shown) is all that may still finish.
    assert summary.processed - shown_at_cancel <= 8 * BATCH_SIZE, (summary.processed, shown_at_cancel)
    assert 0 < summary.processed < 3000
    assert window.queue_model.rowCount() == summary.added
    assert not window.progress.isVisible()
    assert "cancelled" in window.statusBar().currentMessage().lower()


def test_same_content_is_not_queued_twice(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    folder = patient_folders(tmp_path / "a", full_images(3), per_patient=3)
    run_scan(qtbot, window, [folder])
    assert window.queue_model.rowCount() == 3
    copy = tmp_path / "b" / "renamed_copy.jpg"
    copy.parent.mkdir()
    copy.write_bytes(full_images(1)[0].read_bytes())
    summary = run_scan(qtbot, window, [folder, copy])
    assert summary.duplicates == 4 and summary.added == 0
    assert window.queue_model.rowCount() == 3


def _mime(paths: list[Path]) -> QMimeData:
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return md


def test_drop_of_files_and_a_folder(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    folder = patient_folders(tmp_path / "dropped", full_images(4)[1:], per_patient=2)  # 3 images, 2 folders
    single = full_images(1)[0]
    md = _mime([single, folder])
    enter = QDragEnterEvent(QPoint(200, 200), Qt.DropAction.CopyAction, md, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, md, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.controller.finished, timeout=30_000):
        QApplication.sendEvent(window, drop)
        assert drop.isAccepted()
    recs = window.queue_model.records()
    assert len(recs) == 4
    assert {r.patient_id for r in recs} == {"", "P001", "P002"}  # a file dropped alone: unassigned
    assert all(_probabilities_ok(r) for r in recs if r.result.status == "ok")


def test_drag_of_non_file_data_is_refused(window) -> None:  # noqa: ANN001
    md = QMimeData()
    md.setText("hello")
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, md, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_a_second_job_waits_for_the_first_and_both_finish(qtbot, window) -> None:  # noqa: ANN001
    finished = []
    window.controller.finished.connect(finished.append)
    assert window.start_scan(small_images(40))
    assert window.start_scan(full_images(5))  # e.g. a drop while scanning: queued, not refused
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=60_000)
    assert [s.added for s in finished] == [40, 5]
    assert window.queue_model.rowCount() == 45 and not window.controller.busy
    assert not window.progress.isVisible()


def test_closing_the_window_mid_scan_stops_the_worker_cleanly(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    assert window.start_scan(small_images(2000))
    qtbot.waitUntil(lambda: window.queue_model.rowCount() > 0, timeout=30_000)
    thread = window.controller._thread
    window.close()
    assert thread is None or thread.isFinished()


def test_reanalysis_updates_the_case_in_place_and_is_audited(qtbot, window) -> None:  # noqa: ANN001
    run_scan(qtbot, window, full_images(3))
    cid = window.queue.visible_case_ids()[0]
    window.queue.select_case(cid)
    window.queue_model.update_note(cid, "keep me")
    summary = run_scan(qtbot, window, items=[ScanItem(window.queue_model.record(cid).path, "x", case_id=cid)])
    assert summary.updated == 1 and summary.added == 0
    assert window.queue_model.rowCount() == 3
    assert window.store.result_count(cid) == 2
    assert window.queue_model.record(cid).note == "keep me"  # the clinician's fields are not overwritten
    assert window.queue.current_case_id() == cid and window.case_panel.case_id == cid
    assert [a[3] for a in window.store.audit_log(cid)][-1] == "re-analysed"


def test_open_sample_cases_when_bundled(qtbot, window) -> None:  # noqa: ANN001
    from cases.samples import load_samples

    samples, why = load_samples()
    assert window.act.samples.isEnabled() == (not why)
    if why:
        assert window.act.samples.toolTip() == why
        return
    with qtbot.waitSignal(window.controller.finished, timeout=30_000):
        window.act.samples.trigger()
    recs = sorted(window.queue_model.records(), key=lambda r: r.patient_id)
    assert [r.patient_id for r in recs] == [f"Sample {i:02d}" for i in range(1, len(samples) + 1)]
    assert all("Reference diagnosis" in r.note and "HAM10000" in r.note for r in recs)
