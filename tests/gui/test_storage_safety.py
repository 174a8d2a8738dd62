"""The window when storage fails (issue 12): write errors at the point of the edit with the edit kept, a
second window on the same folder opens read-only, a damaged database goes through the recovery choice."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from cases.store import DB_NAME, StoreWriteError
from gui.dialogs.recovery import FRESH, QUIT, READ_ONLY, RESTORE, Choice, RecoveryDialog
from tests.gui.helpers import full_images, run_scan


class FakeChooser:
    def __init__(self, locked: str = QUIT, damaged: Choice | None = None) -> None:
        self.locked_answer, self.damaged_answer = locked, damaged or Choice(QUIT)
        self.asked: list[str] = []

    def locked(self, holder: str) -> str:
        self.asked.append(f"locked {holder}")
        return self.locked_answer

    def damaged(self, db: Path, problem: str, backups: list[Path]) -> Choice:
        self.asked.append(f"damaged {problem}")
        if self.damaged_answer.action == RESTORE:
            return Choice(RESTORE, backups[0])
        return self.damaged_answer


def _refuse(*_args, **_kw) -> None:  # noqa: ANN002, ANN003
    raise StoreWriteError("the disk is full: free some space, then try again")


def test_note_not_saved_is_said_and_kept(qtbot, window, monkeypatch) -> None:  # noqa: ANN001
    run_scan(qtbot, window, full_images(2))
    recs = window.queue_model.records()
    first, second = recs[0].id, recs[1].id
    assert window.queue.select_case(first)
    panel = window.case_panel
    monkeypatch.setattr(window.store, "set_note", _refuse)
    panel.note.setPlainText("lesion grew 2 mm since March")
    panel.save_note()
    assert "NOT saved" in panel.note_state.text() and "disk is full" in panel.note_state.text()
    assert panel.note.toPlainText() == "lesion grew 2 mm since March"
    assert "NOT saved" in window.statusBar().currentMessage()
    assert window.queue_model.record(first).note == ""
    # Moving away and back: the unsaved text comes back into the editor (not the stored empty note).
    assert window.queue.select_case(second)
    assert window.queue.select_case(first)
    assert panel.note.toPlainText() == "lesion grew 2 mm since March"
    monkeypatch.undo()  # the disk has space again: the retry saves it
    panel.save_note()
    assert panel.note_state.text() == "Note saved" and panel.unsaved_notes == {}
    assert window.store.get_case(first).note == "lesion grew 2 mm since March"


def test_review_not_saved_reverts_and_says_so(qtbot, window, monkeypatch) -> None:  # noqa: ANN001
    run_scan(qtbot, window, full_images(1))
    cid = window.queue_model.records()[0].id
    assert window.queue.select_case(cid)
    monkeypatch.setattr(window.store, "set_review_status", _refuse)
    window.case_panel.review.setCurrentIndex(2)
    window.case_panel._review_picked(2)
    assert window.store.get_case(cid).review_status == "new"
    assert window.case_panel.review.currentIndex() == 0  # shows what is stored
    assert "NOT saved" in window.case_panel.note_state.text()
    boxes = [b for b in window.findChildren(QMessageBox) if b.objectName() == "writeErrorBox"]
    assert boxes and "disk is full" in boxes[-1].text()
    for b in boxes:
        b.close()


def test_second_window_is_read_only(qtbot, make_window, tmp_path) -> None:  # noqa: ANN001
    from gui.app import StartCancelled, create_main_window

    first = make_window()
    run_scan(qtbot, first, full_images(1))
    with pytest.raises(StartCancelled):
        create_main_window(chooser=FakeChooser(locked=QUIT))
    chooser = FakeChooser(locked=READ_ONLY)
    second = create_main_window(chooser=chooser)
    qtbot.addWidget(second)
    assert chooser.asked and chooser.asked[0].startswith("locked pid")
    assert second.store.read_only and "READ-ONLY" in second.windowTitle()
    assert len(second.queue_model.records()) == 1  # sees the first window's queue
    assert not second.start_scan([str(full_images(2)[1])])
    assert "read-only" in second.statusBar().currentMessage()
    cid = second.queue_model.records()[0].id
    second.queue_model.update_note(cid, "typed in the second window")
    assert first.store.get_case(cid).note == ""
    second.case_panel._unsaved.clear()
    second.close()
    first.close()


def test_damaged_database_start_fresh_or_restore(qtbot, isolated_env) -> None:  # noqa: ANN001
    from gui.app import StartCancelled, create_main_window

    isolated_env.mkdir(parents=True, exist_ok=True)
    db = isolated_env / DB_NAME
    db.write_bytes(b"")  # 0 bytes: used to open as an empty queue without a word
    with pytest.raises(StartCancelled):
        create_main_window(chooser=FakeChooser())
    chooser = FakeChooser(damaged=Choice(FRESH))
    w = create_main_window(chooser=chooser)
    qtbot.addWidget(w)
    assert "empty file" in chooser.asked[0]
    assert w.queue_model.records() == []
    assert list(isolated_env.glob(DB_NAME + ".damaged-*"))
    run_scan(qtbot, w, full_images(1))
    w.close()
    # Damage it again; today's backup (taken at the last start) brings the queue back... the backup was
    # taken before the scan, so take one now, as the next day's start would.
    from cases.storage import backup_now

    backup_now(db, stamp="29991231")
    db.write_bytes(b"garbage" * 2000)
    chooser = FakeChooser(damaged=Choice(RESTORE))
    w = create_main_window(chooser=chooser)
    qtbot.addWidget(w)
    assert len(w.queue_model.records()) == 1
    w.close()


def test_recovery_dialog_offers_the_backups(qtbot, tmp_path) -> None:  # noqa: ANN001
    backups = [tmp_path / "dermtriage-20261129.sqlite3", tmp_path / "dermtriage-20261128.sqlite3"]
    for b in backups:
        b.write_bytes(b"x" * 10)
    dlg = RecoveryDialog(tmp_path / DB_NAME, "the case database is an empty file (0 bytes)", backups)
    qtbot.addWidget(dlg)
    assert dlg.backups.count() == 2 and dlg.restore.isEnabled()
    dlg.restore.click()
    assert dlg.choice == Choice(RESTORE, backups[0])
    dlg = RecoveryDialog(tmp_path / DB_NAME, "damaged", [])
    qtbot.addWidget(dlg)
    assert not dlg.restore.isEnabled()
    dlg.fresh.click()
    assert dlg.choice.action == FRESH


def test_remove_offers_a_real_purge(qtbot, window, monkeypatch) -> None:  # noqa: ANN001
    run_scan(qtbot, window, full_images(2))
    recs = window.queue_model.records()
    gone = recs[0]
    window.queue_model.update_note(gone.id, "Jane Doe, 1970")
    assert window.queue.select_case(gone.id)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.cases.remove_selected()
    assert [r.id for r in window.queue_model.records()] == [recs[1].id]
    assert window.store.get_case(gone.id) is None
    assert window.store.audit_log()[-1][3] == "purged"
    assert window.store.verify_audit() == []
    db = window.store.path
    assert b"Jane Doe" not in db.read_bytes()
