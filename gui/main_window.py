"""The main window: queue (left), image (centre), case panel (right), progress and status at the bottom.

The window wires components together and turns gestures (drops, menu commands) into scan jobs and
store edits; it never decodes a batch or runs the model itself. Commands live in window_commands.py,
the action table in window_actions.py.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSplitter, QVBoxLayout, QWidget

from gui.case_panel import CasePanel
from gui.icons import app_icon
from gui.queue_model import QueueModel
from gui.queue_panel import QueuePanel
from gui.samples import load_samples
from gui.scan_controller import ScanController
from gui.settings import AppSettings, ModelState, load_model
from gui.store import CaseRecord, Store
from gui.viewer import ViewerPanel
from gui.widgets import ErrorBanner, ScanProgress
from gui.window_actions import install_actions, install_menus
from gui.window_commands import WindowCommands
from gui.workers import ScanItem, ScanSummary


class MainWindow(QMainWindow, WindowCommands):
    """One window per app. Its `act_*` attributes are created from window_actions.SPECS."""

    act_open: QAction
    act_scan: QAction
    act_samples: QAction
    act_rerun: QAction
    act_cancel: QAction
    act_next: QAction
    act_prev: QAction
    review_actions: list[QAction]

    def __init__(self, settings: AppSettings, store: Store, model_state: ModelState,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings, self.store, self.state = settings, store, model_state
        self.setWindowTitle("DermTriage — skin lesion triage (research use only)")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.samples, self.samples_problem = load_samples()
        self.queue_model = QueueModel(store, self)
        self.controller = ScanController(store.path, self)
        self.viewer = ViewerPanel()
        install_actions(self)
        self.queue = QueuePanel(self.queue_model, [self.act_open, self.act_scan, self.act_samples])
        self.case_panel = CasePanel()
        # Drops anywhere in the window mean "add these images": children must not swallow them.
        for w in (self.viewer.viewer, self.viewer.viewer.viewport(), self.case_panel.note,
                  self.case_panel.note.viewport()):
            w.setAcceptDrops(False)
        self.banner = ErrorBanner()
        self.banner.button.clicked.connect(self.open_settings)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for i, (w, stretch) in enumerate(((self.queue, 5), (self.viewer, 4), (self.case_panel, 0))):
            self.splitter.addWidget(w)
            self.splitter.setStretchFactor(i, stretch)
        self.splitter.setSizes([900, 360, 340])
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(6, 6, 6, 0)
        lay.addWidget(self.banner)
        lay.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        install_menus(self)
        self._make_status_bar()

        self.queue.currentCaseChanged.connect(self.show_case)
        self.queue_model.caseEdited.connect(self._case_edited)
        self.queue_model.countsChanged.connect(self._update_status)
        self.case_panel.noteChanged.connect(self.queue_model.update_note)
        self.case_panel.reviewChanged.connect(self.queue_model.set_review)
        self.controller.started.connect(self._scan_started)
        self.controller.listed.connect(self._scan_listed)
        self.controller.progressChanged.connect(self.progress.update_progress)
        self.controller.casesReady.connect(self._cases_ready)
        self.controller.finished.connect(self._scan_finished)
        self.progress.cancelRequested.connect(self.controller.cancel)

        self.queue_model.reset(store.load_cases())
        self._apply_model_state()
        self.resize(1600, 960)
        geometry = settings.bytes_value(AppSettings.GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = settings.bytes_value(AppSettings.STATE)
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def _make_status_bar(self) -> None:
        sb = self.statusBar()
        self.progress = ScanProgress()
        self.model_label, self.threads_label, self.size_label, self.rate_label = (QLabel() for _ in range(4))
        sb.addPermanentWidget(self.progress)
        for w in (self.model_label, self.threads_label, self.size_label, self.rate_label):
            w.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(w)

    # ---- model -------------------------------------------------------------------------------------
    def _apply_model_state(self) -> None:
        st = self.state
        self.controller.set_model(st.model)
        card = self.current_card()
        if card is not None:
            self.case_panel.set_model_info({c.code: c.name for c in card.classes}, card.malignant)
        can_scan = st.model is not None
        for a in (self.act_open, self.act_scan, self.act_rerun):
            a.setEnabled(can_scan)
        self.act_samples.setEnabled(can_scan and not self.samples_problem)
        if self.samples_problem:
            self.act_samples.setToolTip(self.samples_problem)
        self.act_cancel.setEnabled(self.controller.busy)
        if st.model is None:
            self.banner.show_error(st.name, st.error)
        else:
            self.banner.hide()
        self._update_status()

    def reload_model(self) -> None:
        """Apply changed model settings (name, threads, thresholds); never while a scan runs."""
        if not self.controller.busy:
            self.state = load_model(self.settings)
            self._apply_model_state()

    def _update_status(self) -> None:
        st = self.state
        if st.model is not None:
            clinic = " · clinic thresholds" if st.thresholds_overridden else ""
            self.model_label.setText(f"Model: {st.label}{clinic}")
        else:
            self.model_label.setText(f"Model: {st.name} NOT LOADED")
        self.threads_label.setText(f"Threads: {st.threads}")
        self.size_label.setText(f"Queue: {self.queue_model.rowCount()} cases")
        rate = self.controller.last_rate
        self.rate_label.setText(f"Last scan: {rate:.0f} images/s" if rate else "Last scan: —")

    # ---- getting images in -------------------------------------------------------------------------
    def start_scan(self, sources: list[str | Path] | None = None,
                   items: list[ScanItem] | None = None) -> bool:
        """Queue files/folders (or explicit items) for analysis; False when no model is loaded."""
        if self.state.model is None:
            self.statusBar().showMessage("No model is loaded: images cannot be analysed.", 8000)
            return False
        return self.controller.start(sources or [], items or [])

    @staticmethod
    def _local_paths(event: QDragEnterEvent | QDropEvent) -> list[str]:
        md = event.mimeData()
        if not md.hasUrls():
            return []
        return [u.toLocalFile() for u in md.urls() if u.isLocalFile() and u.toLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.state.model is not None and self._local_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self.state.model is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._local_paths(event)
        if paths and self.start_scan(paths):
            event.acceptProposedAction()
        else:
            event.ignore()

    # ---- scan feedback -----------------------------------------------------------------------------
    def _scan_started(self) -> None:
        self.progress.start()
        self.act_cancel.setEnabled(True)

    def _scan_listed(self, total: int, skipped: int) -> None:
        self.progress.set_total(total)
        if skipped:
            self.statusBar().showMessage(f"{skipped} file(s) skipped: not images", 8000)

    def _cases_ready(self, records: list[CaseRecord]) -> None:
        self.queue.insert_burst(records)
        current = self.queue.current_case_id()
        if current is not None and any(r.id == current for r in records):
            self.show_case(current, reload_image=False)  # a re-analysis of the case on screen

    def _scan_finished(self, summary: ScanSummary) -> None:
        if self.controller.busy:
            return  # the next queued job has already started
        self.progress.finish()
        self.act_cancel.setEnabled(False)
        self._update_status()
        if summary.fatal:
            QMessageBox.critical(self, "Scan stopped", f"The scan stopped on an error:\n{summary.fatal}")
            return
        parts = [f"{summary.processed} of {summary.total} analysed"]
        if summary.processed:
            parts.append(f"{summary.ok} ok, {summary.rejected} cannot assess, {summary.error} errors")
        if summary.duplicates:
            parts.append(f"{summary.duplicates} already in the queue")
        if summary.skipped_non_images:
            parts.append(f"{summary.skipped_non_images} non-image file(s) skipped")
        parts.append(f"{summary.seconds:.1f} s, {summary.rate:.0f} images/s")
        head = "Scan cancelled" if summary.cancelled else "Scan finished"
        self.statusBar().showMessage(f"{head}: " + "; ".join(parts), 15000)

    # ---- the selected case -------------------------------------------------------------------------
    def show_case(self, case_id: int, reload_image: bool = True) -> None:
        rec = self.queue_model.record(case_id) if case_id is not None and case_id >= 0 else None
        self.case_panel.show_case(rec)
        attention = rec.attention if rec and rec.status == "ok" else None
        if reload_image or rec is None:
            caption = f"{rec.patient_id} · {rec.file_name}" if rec else ""
            self.viewer.show_case(rec.path if rec else None, caption, attention)
        else:
            self.viewer.set_attention(attention)

    def _case_edited(self, case_id: int) -> None:
        if case_id == self.queue.current_case_id():
            self.case_panel.show_case(self.queue_model.record(case_id))

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the note being typed, stop the scan thread, then close the database."""
        self.case_panel.save_note()
        self.controller.shutdown()
        self.queue.thumbs.shutdown()
        self.viewer.viewer.shutdown()
        self.settings.qs.setValue(AppSettings.GEOMETRY, self.saveGeometry())
        self.settings.qs.setValue(AppSettings.STATE, self.splitter.saveState())
        self.settings.sync()
        self.store.close()
        super().closeEvent(event)
