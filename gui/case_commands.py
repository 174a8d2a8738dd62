"""The clinician's commands on cases: review, re-analyse, remove, reveal, and the exports (CSV, PDF).

Every command that takes a path also accepts it as an argument, so tests and scripts run the real code
without a file dialog. Exports default to the Documents folder: never next to the originals, never
into the install folder.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMainWindow, QMessageBox

from cases.export_csv import export_csv, export_target_problem
from cases.job import ScanItem
from cases.records import CaseRecord
from cases.store import Store
from cases.vocab import UNASSIGNED, Review
from gui.dialogs.compare import CompareDialog
from gui.dialogs.settings_dialog import documents_dir
from gui.queue_model import QueueModel
from gui.queue_panel import QueuePanel
from gui.report import clinic_lines, export_pdf
from inference.card import ModelCard, card_path_for
from inference.errors import ModelError
from inference.shipped import result_notice


class CaseCommands(QObject):
    """Acts on the current or selected cases of `queue`; results go to the store and the status bar.
    `casesRemoved()` after cases left the queue."""

    casesRemoved = Signal()

    def __init__(self, window: QMainWindow, queue: QueuePanel, model: QueueModel, store: Store,
                 card: Callable[[], ModelCard | None], reanalyse: Callable[[list[ScanItem]], bool]) -> None:
        super().__init__(window)
        self.window, self.queue, self.model, self.store = window, queue, model, store
        self.card, self.reanalyse = card, reanalyse

    def current_model(self) -> object | None:
        """The window's loaded Model (None when unusable): it says whether a custom model's results were
        made by a bound or an unbound card (inference.shipped.result_binding)."""
        return getattr(getattr(self.window, "state", None), "model", None)

    def _status(self, text: str, ms: int) -> None:
        self.window.statusBar().showMessage(text, ms)

    def current_record(self) -> CaseRecord | None:
        cid = self.queue.current_case_id()
        return self.model.record(cid) if cid is not None else None

    def describe(self, ids: list[int], limit: int = 8) -> str:
        """The cases a command is about to act on, one line each (case ID · file), for its question."""
        lines = []
        for cid in ids[:limit]:
            rec = self.model.record(cid)
            if rec is not None:
                lines.append(f"• {rec.patient_id or UNASSIGNED} · {rec.file_name}")
        if len(ids) > limit:
            lines.append(f"… and {len(ids) - limit} more")
        return "\n".join(lines)

    def confirm_many(self, title: str, what: str, ids: list[int]) -> bool:
        """A command on several cases names them before it acts (one case is the one on screen: no question)."""
        if len(ids) <= 1:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(self.window, title, f"{what} these {len(ids)} cases?\n\n{self.describe(ids)}",
                                      buttons.Yes | buttons.Cancel, buttons.Yes)
        return answer == buttons.Yes

    # ---- the clinician's actions on cases ----------------------------------------------------------
    def set_review(self, status: Review) -> int:
        """Mark the selected cases (the case shown among them); returns how many changed."""
        ids = self.queue.selected_case_ids()
        if not ids or not self.confirm_many("Review status", f"Mark as {status.label.lower()}", ids):
            return 0
        changed = sum(self.model.set_review(cid, status) for cid in ids)
        if len(ids) > 1:
            self._status(f"{changed} case(s) marked {status.label.lower()}.", 5000)
        return changed

    def set_case_id_selected(self, text: str | None = None) -> int:
        """One case ID for every selected case (None: ask, naming the cases); returns how many changed."""
        ids = self.queue.selected_case_ids()
        if not ids:
            self._status("Select the cases to give a case ID.", 5000)
            return 0
        if text is None:
            first = self.model.record(ids[0])
            text, ok = QInputDialog.getText(self.window, "Set case ID",
                                            f"Case ID for {len(ids)} case(s):\n\n{self.describe(ids)}\n",
                                            text=first.patient_id if first else "")
            if not ok:
                return 0
        changed = sum(self.model.set_patient_id(cid, text) for cid in ids)
        self._status(f"Case ID set on {changed} case(s).", 5000)
        return changed

    def compare_selected(self) -> CompareDialog | None:
        """Two selected images side by side (the usual case: two visits of one lesion)."""
        recs = [r for r in (self.model.record(c) for c in self.queue.selected_case_ids()) if r is not None]
        if len(recs) != 2:
            QMessageBox.information(self.window, "Compare images",
                                    "Select exactly two images (Ctrl+click), e.g. two visits of one lesion.")
            return None
        dlg = CompareDialog(recs, self.window)
        dlg.show()
        return dlg

    def reanalyse_selected(self) -> None:
        recs = [self.model.record(c) for c in self.queue.selected_case_ids()]
        items = [ScanItem(r.path, r.patient_id, case_id=r.id) for r in recs if r is not None]
        if items:
            self.reanalyse(items)

    def remove_selected(self) -> None:
        ids = self.queue.selected_case_ids()
        if not ids:
            return
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.window, "Remove from queue",
            f"Remove {len(ids)} case(s) from the queue?\n\n{self.describe(ids)}\n\n"
            "Yes: they stay in the database and in the audit log.\nDiscard: delete them for good (purge: case, "
            "results, note and thumbnail; the database is compacted and the backups replaced; "
            "the audit log keeps only that a purge happened).",
            buttons.Yes | buttons.Discard | buttons.No, buttons.No)
        if answer == buttons.Yes:
            self.model.remove(ids)
            self.casesRemoved.emit()
        elif answer == buttons.Discard:
            sure = QMessageBox.warning(self.window, "Delete permanently",
                                       f"Delete {len(ids)} case(s) permanently? This cannot be undone.",
                                       buttons.Yes | buttons.Cancel, buttons.Cancel)
            if sure == buttons.Yes and self.model.purge(ids):
                self.casesRemoved.emit()

    def reveal_file(self) -> None:
        rec = self.current_record()
        if rec is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(rec.path).parent)))

    # ---- exports -----------------------------------------------------------------------------------
    def _export_allowed(self, path: str) -> bool:
        """The one guard for files the user names (cases.export_csv.export_target_problem), said in a box."""
        problem = export_target_problem(path, (r.path for r in self.model.records()))
        if problem:
            QMessageBox.warning(self.window, "Export refused", problem)
            self._status(f"Export refused: {problem}", 10000)
        return not problem

    def _save_path(self, title: str, name: str, filt: str) -> str:
        """Always starts in Documents (created, or home): never in the originals' folder."""
        path, _ = QFileDialog.getSaveFileName(self.window, title, str(documents_dir() / name), filt)
        return path

    def export_csv(self, path: str | None = None, selected: bool = False) -> int:
        """The queue as shown (or the selection) to CSV; returns the number of rows written."""
        ids = self.queue.selected_case_ids() if selected else self.queue.visible_case_ids()
        if not ids:
            self._status("Nothing to export.", 5000)
            return 0
        path = path or self._save_path("Export to CSV", "dermtriage_queue.csv", "CSV files (*.csv)")
        if not path:
            return 0
        recs = [r for r in (self.model.record(i) for i in ids) if r is not None]
        if not self._export_allowed(path):
            return 0
        card = self.card()
        try:
            policy = self.model.policy
            n = export_csv(recs, path, card.codes if card else None, self.model.outcomes, self.current_model(),
                           policy.thresholds if policy is not None else None)
        except OSError as exc:
            QMessageBox.warning(self.window, "Export failed", f"The CSV could not be written:\n{exc}")
            return 0
        self.store.record_export([r.id for r in recs], f"csv {path}")
        self._status(f"Exported {n} case(s) to {path}", 8000)
        return n

    def _training_data(self, rec: CaseRecord) -> str:
        """The training data of the model that produced `rec` (its shipped card), "" when that card is gone."""
        res = rec.result
        card = self.card()
        if card is None or (card.name, card.version) != (res.model_name, res.model_version):
            try:
                card = ModelCard.load(card_path_for(res.model_name)) if res.model_name else None
            except ModelError:
                card = None
        if card is None or card.doc is None or card.version != res.model_version:
            return ""
        return card.doc.training_data

    def export_report(self, path: str | None = None) -> bool:
        """The selected case as a PDF report."""
        rec = self.current_record()
        if rec is None:
            self._status("Select a case to export its report.", 5000)
            return False
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in (rec.patient_id or "case"))
        default = f"dermtriage_{safe}_{Path(rec.path).stem}.pdf"
        path = path or self._save_path("Case report", default, "PDF files (*.pdf)")
        if not path:
            return False
        if not self._export_allowed(path):
            return False
        card = self.card()
        try:
            export_pdf(rec, path, {c.code: c.name for c in card.classes} if card else {}, self._training_data(rec),
                       self.model.outcomes.get(rec.id), clinic_lines(self.model, rec),
                       result_notice(rec.result.model_name, rec.result.model_version, self.current_model()))
        except OSError as exc:
            QMessageBox.warning(self.window, "Export failed", html.escape(str(exc)))
            return False
        self.store.record_export([rec.id], f"pdf {path}")
        self._status(f"Report written to {path}", 8000)
        return True
