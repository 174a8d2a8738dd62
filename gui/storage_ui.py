"""What the window says about its storage: write errors at the point of the edit, a read-only window, notes
that could not be saved when it closes, and problems found at start (audit log, backup; a model whose card
is not bound to its weights).

Kept apart from main_window.py: MainWindow calls `install(window)` once and `confirm_close(window)` from
closeEvent; everything else is wired here.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

MainWindow = Any  # gui.main_window.MainWindow (not imported: main_window imports this module)


def install(window: MainWindow) -> None:
    window.storage_warnings = []  # set by gui.app.create_main_window: problems found at start
    window.queue_model.writeFailed.connect(lambda cid, what, msg: write_failed(window, cid, what, msg))
    window.controller.read_only = window.store.read_only  # Intake refuses scans in a read-only window
    if window.store.read_only:
        apply_read_only(window, window.store.read_only)
    # A custom model (bound or not) is said by the window's persistent banner (MainWindow._apply_model_state).


def write_failed(window: MainWindow, case_id: int, what: str, message: str) -> None:
    """A refused write: beside the edit (the case panel for the case on screen), in the status bar, and in
    a message box for edits made elsewhere; the widget keeps the edit (a note) or shows the stored value."""
    window.statusBar().showMessage(f"{what.capitalize()} NOT saved: {message}", 20000)
    panel = window.case_panel
    if case_id and case_id == panel.case_id:
        panel.show_write_error(what, message)
        rec = window.queue_model.record(case_id)
        if rec is not None and what == "review status":
            panel._loading = True
            panel.set_review(rec.review_status)  # back to what is stored
            panel._loading = False
    if what != "note":
        box = QMessageBox(QMessageBox.Icon.Warning, "Not saved", f"The {what} was not saved: {message}.",
                          QMessageBox.StandardButton.Ok, window)
        box.setObjectName("writeErrorBox")
        box.open()  # not modal-blocking: the window stays usable


def apply_read_only(window: MainWindow, reason: str) -> None:
    """A window that must not write: said in the title and the status bar; edits are refused by the store
    (with this reason) and scans are not started."""
    window.setWindowTitle(window.windowTitle() + " — READ-ONLY")
    label = QLabel(f"Read-only: {reason}")
    label.setObjectName("readOnlyLabel")
    label.setStyleSheet("color: #c62828; font-weight: 600;")
    window.statusBar().addPermanentWidget(label)
    window.case_panel.note.setReadOnly(True)
    window.case_panel.note.setPlaceholderText("Read-only window: notes cannot be edited")
    window.case_panel.review.setEnabled(False)
    for name in ("open", "scan", "samples", "rerun", "remove", "set_case_id"):
        act = getattr(window.act, name, None)
        if act is not None:
            act.setEnabled(False)
    window.setAcceptDrops(False)


def confirm_close(window: MainWindow) -> bool:
    """Notes the store refused are still only in memory: say so before they are lost; they go to the
    clipboard. Returns False when the user chooses to stay."""
    unsaved = window.case_panel.unsaved_notes
    if not unsaved:
        return True
    lines = []
    for cid, text in unsaved.items():
        rec = window.queue_model.record(cid)
        who = f"{rec.patient_id or 'no case ID'} · {rec.file_name}" if rec else f"case {cid}"
        lines.append(f"[{who}]\n{text}")
    QApplication.clipboard().setText("\n\n".join(lines))
    answer = QMessageBox.warning(
        window, "Notes not saved",
        f"{len(unsaved)} note(s) could not be saved (see the case panel). They have been copied to the "
        "clipboard. Close anyway?",
        QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Close
