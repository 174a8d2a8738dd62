"""The main window's commands: open, export, review, dialogs (a mixin of `MainWindow`).

Split from main_window.py so that file stays about layout and wiring. Every command that takes a path
also accepts it as an argument, so tests and scripts run the real code without a file dialog. Exports
default to the Documents folder: never next to the originals, never into the install folder.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from gui.dialogs.about import AboutDialog
from gui.dialogs.settings_dialog import SettingsDialog
from gui.dialogs.shortcuts import ShortcutsDialog
from gui.export import export_csv, export_pdf
from gui.samples import attribution_text, sample_items
from gui.settings import AppSettings
from gui.store import CaseRecord
from gui.theme import apply_theme
from gui.workers import ScanItem
from inference.card import ModelCard
from inference.image import IMAGE_SUFFIXES

if TYPE_CHECKING:
    from gui.main_window import MainWindow

IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES)) + ");;All files (*)"


class WindowCommands:
    """Menu and toolbar commands; `self` is the MainWindow."""

    # ---- getting images in -------------------------------------------------------------------------
    def _start_dir(self: MainWindow) -> str:
        d = str(self.settings.qs.value(AppSettings.LAST_DIR, ""))
        if d and Path(d).is_dir():
            return d
        return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)

    def open_images(self: MainWindow) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open images", self._start_dir(), IMAGE_FILTER)
        if files:
            self.settings.qs.setValue(AppSettings.LAST_DIR, str(Path(files[0]).parent))
            self.start_scan(files)

    def scan_folder(self: MainWindow) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Scan folder (sub-folders too)", self._start_dir())
        if folder:
            self.settings.qs.setValue(AppSettings.LAST_DIR, folder)
            self.start_scan([folder])

    def open_samples(self: MainWindow) -> None:
        if self.samples and self.state.model is not None:
            names = {c.code: c.name for c in self.state.model.card.classes}
            self.start_scan(items=sample_items(self.samples, names))
            self.statusBar().showMessage(f"Sample images: {attribution_text(self.samples)}", 10000)

    # ---- the clinician's actions on cases ----------------------------------------------------------
    def _current_record(self: MainWindow) -> CaseRecord | None:
        cid = self.queue.current_case_id()
        return self.queue_model.record(cid) if cid is not None else None

    def set_review(self: MainWindow, status: str) -> None:
        ids = self.queue.selected_case_ids()
        current = self.queue.current_case_id()
        for cid in ids or ([current] if current is not None else []):
            self.queue_model.set_review(cid, status)

    def reanalyse_selected(self: MainWindow) -> None:
        recs = [self.queue_model.record(c) for c in self.queue.selected_case_ids()]
        items = [ScanItem(r.path, r.patient_id, case_id=r.id) for r in recs if r is not None]
        if items:
            self.start_scan(items=items)

    def remove_selected(self: MainWindow) -> None:
        ids = self.queue.selected_case_ids()
        if not ids:
            return
        answer = QMessageBox.question(self, "Remove from queue", f"Remove {len(ids)} case(s) from the "
                                      "queue?\nThey stay in the database and in the audit log.")
        if answer == QMessageBox.StandardButton.Yes:
            self.queue_model.remove(ids)
            self.show_case(-1)

    def reveal_file(self: MainWindow) -> None:
        rec = self._current_record()
        if rec is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(rec.path).parent)))

    def focus_filter(self: MainWindow) -> None:
        self.queue.filter.setFocus()
        self.queue.filter.selectAll()

    # ---- exports -----------------------------------------------------------------------------------
    def _save_path(self: MainWindow, title: str, name: str, filt: str) -> str:
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path(docs) / name), filt)
        return path

    def export_csv(self: MainWindow, path: str | None = None, selected: bool = False) -> int:
        """The queue as shown (or the selection) to CSV; returns the number of rows written."""
        ids = self.queue.selected_case_ids() if selected else self.queue.visible_case_ids()
        if not ids:
            self.statusBar().showMessage("Nothing to export.", 5000)
            return 0
        path = path or self._save_path("Export to CSV", "dermtriage_queue.csv", "CSV files (*.csv)")
        if not path:
            return 0
        recs = [r for r in (self.queue_model.record(i) for i in ids) if r is not None]
        try:
            n = export_csv(recs, path)
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"The CSV could not be written:\n{exc}")
            return 0
        self.store.record_export([r.id for r in recs], f"csv {path}")
        self.statusBar().showMessage(f"Exported {n} case(s) to {path}", 8000)
        return n

    def export_report(self: MainWindow, path: str | None = None) -> bool:
        """The selected case as a PDF report."""
        rec = self._current_record()
        if rec is None:
            self.statusBar().showMessage("Select a case to export its report.", 5000)
            return False
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in (rec.patient_id or "case"))
        default = f"dermtriage_{safe}_{Path(rec.path).stem}.pdf"
        path = path or self._save_path("Case report", default, "PDF files (*.pdf)")
        if not path:
            return False
        card = self.current_card()
        try:
            export_pdf(rec, path, {c.code: c.name for c in card.classes} if card else {})
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", html.escape(str(exc)))
            return False
        self.store.record_export([rec.id], f"pdf {path}")
        self.statusBar().showMessage(f"Report written to {path}", 8000)
        return True

    # ---- dialogs -----------------------------------------------------------------------------------
    def current_card(self: MainWindow) -> ModelCard | None:
        return self.state.model.card if self.state.model else self.state.card

    def about_dialog(self: MainWindow) -> AboutDialog:
        card = self.current_card()
        in_use = card.thresholds.rule if self.state.thresholds_overridden and card else ""
        return AboutDialog(card, self.state.error, attribution_text(self.samples), in_use, self)

    def show_about(self: MainWindow) -> None:
        self.about_dialog().exec()

    def show_shortcuts(self: MainWindow) -> None:
        ShortcutsDialog(self.actions(), self).exec()

    def open_settings(self: MainWindow) -> None:
        dlg = SettingsDialog(self.settings, busy=self.controller.busy, parent=self)
        if dlg.exec() != SettingsDialog.DialogCode.Accepted:
            return
        dlg.apply()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.settings.theme)
        if dlg.changed_model and not self.controller.busy:
            self.reload_model()
