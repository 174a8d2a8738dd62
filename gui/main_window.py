"""The main window: queue (left), image (centre), case panel (right), progress and status at the bottom.

The window lays out the widgets, owns the model state and the dialogs, and wires the pieces that do the
work: `Intake` (images in, scan feedback), `CaseCommands` (review, exports) and `WindowActions` (every
command's action and shortcut). It never decodes a batch or runs the model itself.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from cases.job import ScanItem
from cases.policy import triage_state
from cases.records import CaseRecord
from cases.samples import attribution_text, load_samples
from cases.store import Store
from cases.vocab import UNASSIGNED, Review
from gui import clinic, storage_ui
from gui.actions import WindowActions, bind
from gui.case_commands import CaseCommands
from gui.case_panel import CasePanel
from gui.dialogs.about import AboutDialog
from gui.dialogs.intended_use import IntendedUseDialog, IntendedUseNotice
from gui.dialogs.settings_dialog import SettingsDialog
from gui.dialogs.shortcuts import ShortcutsDialog
from gui.icons import app_icon
from gui.intake import Intake, local_paths
from gui.queue_model import QueueModel
from gui.queue_panel import QueuePanel, queue_min_width
from gui.scan_controller import ScanController
from gui.screen_fit import keep_inside, place
from gui.settings import AppSettings, ModelState, load_model
from gui.theme import apply_theme
from gui.viewer import ViewerPanel
from gui.widgets import DropOverlay, ErrorBanner, ScanProgress
from inference.card import ModelCard


class MainWindow(QMainWindow):
    """One window per app: `act` holds its actions, `intake` and `cases` its commands. `policyApplied()`
    after the queue was re-prioritised under a changed policy (Settings, a site fit adopted or reset)."""

    policyApplied = Signal()

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
        self.notice = IntendedUseNotice()
        self.notice.readMore.connect(self.show_intended_use)
        self.notice.dismissed.connect(lambda: settings.qs.setValue(AppSettings.NOTICE_SEEN, True))
        self.notice.setVisible(str(settings.qs.value(AppSettings.NOTICE_SEEN, "false")).lower() != "true")
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

        self.queue_model.policy = model_state.policy
        self.queue_model.reset(store.load_cases())
        self._apply_model_state()
        geometry = settings.bytes_value(AppSettings.GEOMETRY)
        if geometry is not None and self.restoreGeometry(geometry):
            keep_inside(self)  # saved on a larger screen: shrunk and moved onto this one
        else:  # first start: as large as suits the queue, never larger than the screen it opens on
            place(self, "main", QSize(1600, 960), remember=False)  # the geometry is saved on close
        splitter = settings.bytes_value(AppSettings.STATE)
        self._splitter_placed = splitter is not None and self.splitter.restoreState(splitter)
        self._shown_once = False
        self.splitter.splitterMoved.connect(self._save_splitter)
        storage_ui.install(self)  # write errors at the point of the edit; a read-only window
        clinic.install(self)  # confirmed outcomes, the clinic's figures and operating point (issue 21)

    # ---- building ----------------------------------------------------------------------------------
    def _layout(self) -> None:
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        # Minimum widths keep every pane usable from 1024 px up (the queue's priority and P(malignant)
        # columns come first; the case panel never shrinks to a sliver); none collapses to nothing.
        self.queue.setMinimumWidth(queue_min_width())
        self.viewer.setMinimumWidth(240)
        self.case_panel.setMinimumWidth(280)
        for i, (w, stretch) in enumerate(((self.queue, 4), (self.viewer, 5), (self.case_panel, 0))):
            self.splitter.addWidget(w)
            self.splitter.setStretchFactor(i, stretch)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([560, 700, 340])
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(6, 6, 6, 0)
        lay.addWidget(self.banner)
        lay.addWidget(self.notice)
        lay.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.drop_overlay = DropOverlay(central)
        bar = self.menuBar()
        for title, actions in self.act.menus().items():
            menu = bar.addMenu(title)
            for action in actions:
                menu.addSeparator() if action is None else menu.addAction(action)
                if action is self.act.samples:
                    self.recent_menu = menu.addMenu("&Recent folders")
                    self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in self.act.toolbar():
            tb.addSeparator() if action is None else tb.addAction(action)
        self.queue.set_context_actions(self.act.context_menu())

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
            (a.next_unreviewed, self.next_unreviewed), (a.set_case_id, lambda: self.cases.set_case_id_selected()),
            (a.compare, self.cases.compare_selected), (a.intended_use, self.show_intended_use),
            (a.group, lambda: self.queue.set_grouped(self.act.group.isChecked())),
            (a.rerun, self.cases.reanalyse_selected), (a.remove, self.cases.remove_selected),
            (a.reveal, self.cases.reveal_file), (a.cancel, self.controller.cancel), (a.zoom_in, viewer.zoom_in),
            (a.zoom_out, viewer.zoom_out), (a.fit, viewer.fit), (a.actual, viewer.actual_size),
            (a.heatmap, self.viewer.toggle_attention), (a.filter, self.queue.focus_filter),
            (a.shortcuts, self.show_shortcuts), (a.about, self.show_about),
        ):
            bind(action, slot)
        for review, action in zip(Review, a.review, strict=True):
            bind(action, lambda r=review: self.cases.set_review(r))

    # ---- model -------------------------------------------------------------------------------------
    def current_card(self) -> ModelCard | None:
        return self.state.model.card if self.state.model else self.state.card

    def _apply_model_state(self) -> None:
        st = self.state
        self.controller.set_model(st.model)
        card = self.current_card()
        self.notice.set_card(card)
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
        elif st.model.custom_model_notice:  # issue 23: a custom model runs only with a persistent banner
            self.banner.show_custom_model(st.model.custom_model_notice)
        else:
            self.banner.hide()
        self._update_status()

    def reload_model(self) -> None:
        """Apply changed model settings (name, threads, triage policy); never while a scan runs. The queue
        is re-prioritised at once from the stored probabilities."""
        if not self.controller.busy:
            self.state = load_model(self.settings, self.store)
            changed = self.queue_model.set_policy(self.state.policy)
            self._apply_model_state()
            current = self.queue.current_case_id()
            if current is not None:
                self.show_case(current, reload_image=False)
            self.statusBar().showMessage(f"Triage policy applied: {changed} case(s) changed priority.", 10000)
            self.policyApplied.emit()

    def showEvent(self, event) -> None:  # noqa: ANN001 - QShowEvent
        super().showEvent(event)
        if not self._splitter_placed:  # first start: share the width out (later: the user's own split)
            self._splitter_placed = True
            self.place_splitter()
        if not self._shown_once:  # after a restart the queue opens on its first case, not on nothing
            self._shown_once = True
            if self.queue.current_case_id() is None and self.queue.ordered_case_ids():
                self.queue.select_case(self.queue.ordered_case_ids()[0])

    def place_splitter(self) -> None:
        """Queue about 38-42%, case panel about 26% (at least their minimums), the image the rest."""
        total = max(self.splitter.width(), self.width() - 20)
        share = 0.42 if total >= 1800 else 0.38  # a wide screen shows every column of the queue
        queue = max(self.queue.minimumWidth(), min(int(total * share), 820))
        panel = max(self.case_panel.minimumWidth(), min(int(total * 0.26), 420))
        self.splitter.setSizes([queue, max(self.viewer.minimumWidth(), total - queue - panel), panel])

    def _save_splitter(self) -> None:
        self.settings.qs.setValue(AppSettings.STATE, self.splitter.saveState())

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

    def open_paths(self, paths: list[str | Path]) -> bool:
        """Files and folders from the command line (or "Open with"): queue those that exist, say which not."""
        found = [str(Path(p).resolve()) for p in paths if Path(p).exists()]
        missing = [str(p) for p in paths if not Path(p).exists()]
        if missing:
            self.statusBar().showMessage(f"Not found: {', '.join(missing)}", 15000)
        return bool(found) and self.start_scan(found)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        folders = self.intake.recent_folders()
        for folder in folders:
            action = self.recent_menu.addAction(folder)
            action.setEnabled(Path(folder).is_dir() and self.state.model is not None)
            bind(action, lambda f=folder: self.intake.scan_folder(f))
        if not folders:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.state.model is not None and local_paths(event.mimeData()):
            event.acceptProposedAction()
            self.drop_overlay.show_over(self.centralWidget())
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:  # noqa: ANN001 - QDragLeaveEvent
        self.drop_overlay.hide()
        super().dragLeaveEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self.state.model is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_overlay.hide()
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
            caption = f"{rec.patient_id or UNASSIGNED} · {rec.file_name}" if rec else ""
            self.viewer.show_case(rec.path if rec else None, caption, attention,
                                  triage_state(rec.result) if rec else None)
        else:
            self.viewer.set_attention(attention)
            self.viewer.set_badge(triage_state(rec.result))
            self.viewer.caption.setText(f"{rec.patient_id or UNASSIGNED} · {rec.file_name}")

    def _case_edited(self, case_id: int) -> None:
        if case_id == self.queue.current_case_id():
            self.show_case(case_id, reload_image=False)

    # ---- dialogs -----------------------------------------------------------------------------------
    def about_dialog(self) -> AboutDialog:
        card = self.current_card()
        in_use = card.thresholds.rule if self.state.thresholds_overridden and card else ""
        return AboutDialog(card, self.state.error, attribution_text(self.samples), in_use, self)

    def show_about(self) -> None:
        self.about_dialog().exec()

    def next_unreviewed(self) -> None:
        if not self.queue.next_unreviewed():
            self.statusBar().showMessage("No unreviewed case left in the queue as shown.", 5000)

    def show_intended_use(self) -> None:
        IntendedUseDialog(self.current_card(), self).exec()

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.actions(), self).exec()

    def open_settings(self) -> None:
        dlg = SettingsDialog(self.settings, self.store, busy=self.controller.busy, parent=self)
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
        if not storage_ui.confirm_close(self):  # notes the store refused: said, copied, or stay open
            event.ignore()
            return
        self.controller.shutdown()
        self.queue.thumbs.shutdown()
        self.viewer.viewer.shutdown()
        self.settings.qs.setValue(AppSettings.GEOMETRY, self.saveGeometry())
        self.settings.qs.setValue(AppSettings.STATE, self.splitter.saveState())
        self.settings.sync()
        self.store.close()
        super().closeEvent(event)
