"""The main window: queue (left), image (centre), case panel (right), progress and status at the bottom.

The window lays out the widgets, owns the model state and the dialogs, and wires the pieces that do the
work: `Intake` (images in, scan feedback), `CaseCommands` (review, exports) and `WindowActions` (every
command's action and shortcut). It never decodes a batch or runs the model itself.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from cases.job import ScanItem
from cases.samples import attribution_text, load_samples
from cases.store import CaseRecord, Store
from cases.vocab import Review
from gui.actions import WindowActions
from gui.case_commands import CaseCommands
from gui.case_panel import CasePanel
from gui.dialogs.about import AboutDialog
from gui.dialogs.settings_dialog import SettingsDialog
from gui.dialogs.shortcuts import ShortcutsDialog
from gui.icons import app_icon
from gui.intake import Intake, local_paths
from gui.queue_model import QueueModel
from gui.queue_panel import QueuePanel
from gui.scan_controller import ScanController
from gui.settings import AppSettings, ModelState, load_model
from gui.theme import apply_theme
from gui.viewer import ViewerPanel
from gui.widgets import ErrorBanner, ScanProgress
from inference.card import ModelCard


class MainWindow(QMainWindow):
    """One window per app: `act` holds its actions, `intake` and `cases` its commands."""

    def __init__(self, settings: AppSettings, store: Store, model_state: ModelState,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings, self.store, self.state = settings, store, model_state
        self.setWindowTitle("DermTriage — skin lesion triage (research use only)")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.samples, self.samples_problem = load_samples()
        self.act = WindowActions(self)
        self.queue_model = QueueModel(store, self)
        self.controller = ScanController(store.path, self)
        self.viewer = ViewerPanel()
        self.queue = QueuePanel(self.queue_model, [self.act.open, self.act.scan, self.act.samples])
        self.case_panel = CasePanel()
        # Drops anywhere in the window mean "add these images": children must not swallow them.
        for w in (self.viewer.viewer, self.viewer.viewer.viewport(), self.case_panel.note,
                  self.case_panel.note.viewport()):
            w.setAcceptDrops(False)
        self.banner = ErrorBanner()
        self.banner.button.clicked.connect(self.open_settings)
        self._layout()
        self._make_status_bar()
        self.intake = Intake(self, self.controller, settings, self.progress, self.act.cancel,
                             lambda: self.state.model, self.samples)
        self.cases = CaseCommands(self, self.queue, self.queue_model, store, self.current_card,
                                  lambda items: self.intake.start_scan(items=items))
        self._connect_actions()

        self.queue.currentCaseChanged.connect(self.show_case)
        self.queue_model.caseEdited.connect(self._case_edited)
        self.queue_model.countsChanged.connect(self._update_status)
        self.case_panel.noteChanged.connect(self.queue_model.update_note)
        self.case_panel.reviewChanged.connect(self.queue_model.set_review)
        self.controller.casesReady.connect(self._cases_ready)
        self.controller.finished.connect(self._update_status)
        self.cases.casesRemoved.connect(lambda: self.show_case(-1))

        self.queue_model.reset(store.load_cases())
        self._apply_model_state()
        self.resize(1600, 960)
        geometry = settings.bytes_value(AppSettings.GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = settings.bytes_value(AppSettings.STATE)
        if splitter is not None:
            self.splitter.restoreState(splitter)

    # ---- building ----------------------------------------------------------------------------------
    def _layout(self) -> None:
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
        bar = self.menuBar()
        for title, actions in self.act.menus().items():
            menu = bar.addMenu(title)
            for action in actions:
                menu.addSeparator() if action is None else menu.addAction(action)
        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in self.act.toolbar():
            tb.addSeparator() if action is None else tb.addAction(action)

    def _make_status_bar(self) -> None:
        sb = self.statusBar()
        self.progress = ScanProgress()
        self.model_label, self.threads_label, self.size_label, self.rate_label = (QLabel() for _ in range(4))
        sb.addPermanentWidget(self.progress)
        for w in (self.model_label, self.threads_label, self.size_label, self.rate_label):
            w.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(w)

    def _connect_actions(self) -> None:
        a, viewer = self.act, self.viewer.viewer
        for action, slot in (
            (a.open, self.intake.open_images), (a.scan, self.intake.scan_folder),
            (a.samples, self.intake.open_samples), (a.export_csv, lambda: self.cases.export_csv()),
            (a.export_selected, lambda: self.cases.export_csv(selected=True)),
            (a.report, lambda: self.cases.export_report()), (a.settings, self.open_settings), (a.quit, self.close),
            (a.next, lambda: self.queue.step(1)), (a.prev, lambda: self.queue.step(-1)),
            (a.rerun, self.cases.reanalyse_selected), (a.remove, self.cases.remove_selected),
            (a.reveal, self.cases.reveal_file), (a.cancel, self.controller.cancel), (a.zoom_in, viewer.zoom_in),
            (a.zoom_out, viewer.zoom_out), (a.fit, viewer.fit), (a.actual, viewer.actual_size),
            (a.heatmap, self.viewer.toggle_attention), (a.filter, self.queue.focus_filter),
            (a.shortcuts, self.show_shortcuts), (a.about, self.show_about),
        ):
            action.triggered.connect(slot)
        for review, action in zip(Review, a.review, strict=True):
            action.triggered.connect(lambda _checked=False, r=review: self.cases.set_review(r))

    # ---- model -------------------------------------------------------------------------------------
    def current_card(self) -> ModelCard | None:
        return self.state.model.card if self.state.model else self.state.card

    def _apply_model_state(self) -> None:
        st = self.state
        self.controller.set_model(st.model)
        card = self.current_card()
        if card is not None:
            self.case_panel.set_model_info({c.code: c.name for c in card.classes}, card.malignant)
        can_scan = st.model is not None
        for a in (self.act.open, self.act.scan, self.act.rerun):
            a.setEnabled(can_scan)
        self.act.samples.setEnabled(can_scan and not self.samples_problem)
        if self.samples_problem:
            self.act.samples.setToolTip(self.samples_problem)
        self.act.cancel.setEnabled(self.controller.busy)
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

    # ---- getting images in (drops; the menu commands are in `intake`) ------------------------------
    def start_scan(self, sources: list[str | Path] | None = None, items: list[ScanItem] | None = None) -> bool:
        return self.intake.start_scan(sources, items)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.state.model is not None and local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self.state.model is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if paths and self.start_scan(paths):
            event.acceptProposedAction()
        else:
            event.ignore()

    def _cases_ready(self, records: list[CaseRecord]) -> None:
        self.queue.insert_burst(records)
        current = self.queue.current_case_id()
        if current is not None and any(r.id == current for r in records):
            self.show_case(current, reload_image=False)  # a re-analysis of the case on screen

    # ---- the selected case -------------------------------------------------------------------------
    def show_case(self, case_id: int, reload_image: bool = True) -> None:
        rec = self.queue_model.record(case_id) if case_id is not None and case_id >= 0 else None
        self.case_panel.show_case(rec)
        attention = rec.result.attention if rec and rec.result.ok else None
        if reload_image or rec is None:
            caption = f"{rec.patient_id} · {rec.file_name}" if rec else ""
            self.viewer.show_case(rec.path if rec else None, caption, attention)
        else:
            self.viewer.set_attention(attention)

    def _case_edited(self, case_id: int) -> None:
        if case_id == self.queue.current_case_id():
            self.case_panel.show_case(self.queue_model.record(case_id))

    # ---- dialogs -----------------------------------------------------------------------------------
    def about_dialog(self) -> AboutDialog:
        card = self.current_card()
        in_use = card.thresholds.rule if self.state.thresholds_overridden and card else ""
        return AboutDialog(card, self.state.error, attribution_text(self.samples), in_use, self)

    def show_about(self) -> None:
        self.about_dialog().exec()

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.actions(), self).exec()

    def open_settings(self) -> None:
        dlg = SettingsDialog(self.settings, busy=self.controller.busy, parent=self)
        if dlg.exec() != SettingsDialog.DialogCode.Accepted:
            return
        dlg.apply()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.settings.theme)
        if dlg.changed_model and not self.controller.busy:
            self.reload_model()

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
