"""The clinic's outcomes and its own figures in the window (issue 21): the Clinic menu, the queue's outcome
filter, the case panel's outcome section, the outcomes import and the Clinic performance window.

Kept apart from main_window.py and actions.py (MainWindow calls `install(window)` once): these commands
belong together, and the window's own wiring stays small. Writes go through the store (audited): a
single outcome and an import through `QueueModel.set_outcomes`, the site policy through
`cases.policy.adopt_site_policy` / `set_policy`, after which the window re-applies the policy exactly as
after Settings (`MainWindow.reload_model`). Files and the whole-store report are read off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMessageBox, QToolButton

from cases.outcomes import CaseKey, ImportPlan, Outcome, plan_import, read_csv_rows
from cases.policy import adopt_site_policy, set_policy, shipped_cards
from cases.site_report import ModelReport, clinic_notice, store_report
from cases.store import Store, StoreError
from gui.actions import bind
from gui.background import Background
from gui.dialogs.import_outcomes import ImportOutcomesDialog
from gui.dialogs.settings_dialog import documents_dir
from gui.queue_model import AWAITING_OUTCOME, WITH_OUTCOME
from inference.card import ModelCard

MainWindow = Any  # gui.main_window.MainWindow (not imported: main_window imports this module)


def compute_reports(db_path: Path) -> list[ModelReport]:
    """The clinic report over every case, on a connection of its own (runs off the GUI thread)."""
    store = Store(db_path, read_only="clinic report")
    try:
        return store_report(store)
    finally:
        store.close()


def read_plan(path: str, keys: list[CaseKey], existing: dict[int, Outcome],
              codes: list[str]) -> tuple[list[dict[str, str]], ImportPlan]:
    """Read an outcomes CSV (guarded reader) and match it to the cases (runs off the GUI thread); the rows
    come back too, to match again when the user chooses to replace conflicting outcomes."""
    rows = read_csv_rows(path)
    return rows, plan_import(rows, keys, existing, codes)


class ClinicCommands(QObject):
    """The window's clinic commands; `install` creates one as `window.clinic`."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.background = Background(self)
        self.import_dialog: ImportOutcomesDialog | None = None
        self.performance: Any = None  # gui.dialogs.site_performance.SitePerformanceDialog, imported when opened
        self.import_action = QAction("&Import outcomes…", window)
        self.import_action.setStatusTip("Confirmed diagnoses from a pathology system's or a spreadsheet's CSV")
        self.performance_action = QAction("Clinic &performance…", window)
        self.performance_action.setStatusTip("This clinic's own figures, its referral curve and its operating point")
        bind(self.import_action, self.import_outcomes)  # never Qt's `checked` as the path
        bind(self.performance_action, self.show_performance)
        for a in (self.import_action, self.performance_action):
            window.addAction(a)

    @property
    def store(self) -> Store:
        return self.window.store

    def _status(self, text: str, ms: int = 8000) -> None:
        self.window.statusBar().showMessage(text, ms)

    def codes(self) -> list[str]:
        card = self.window.current_card()
        return list(card.codes) if card is not None else []

    # ---- one outcome, from the case panel ----------------------------------------------------------
    def save_outcome(self, case_id: int, value: tuple[str, str, str, str] | None) -> bool:
        changed = self.window.queue_model.set_outcomes({case_id: value}, how="entered")
        if changed is not None:
            self._status("Outcome cleared." if value is None else f"Outcome recorded: {value[0]}.", 5000)
        return changed is not None

    # ---- many, from a CSV --------------------------------------------------------------------------
    def import_outcomes(self, path: str | None = None) -> bool:
        """Ask for a CSV (unless given), read and match it off the GUI thread, then show what it would do."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, "Import confirmed outcomes", str(documents_dir()),
                                                  "CSV files (*.csv);;All files (*)")
        if not path:
            return False
        if self.background.busy:
            self._status("Still reading the previous file…", 5000)
            return False
        model = self.window.queue_model
        keys = [CaseKey(r.id, r.sha256, r.path, r.patient_id, r.file_name) for r in model.records()]
        existing = {cid: Outcome(*v) for cid, v in model.outcomes.items()}
        codes = self.codes()
        self._status(f"Reading {path}…", 0)
        self.background.run(lambda: read_plan(path, keys, existing, codes),
                            lambda answer: self._plan_ready(path, *answer, (keys, existing, codes)),
                            lambda msg: self._import_failed(path, msg))
        return True

    def _import_failed(self, path: str, message: str) -> None:
        self._status("")
        QMessageBox.warning(self.window, "Import outcomes", f"{Path(path).name} could not be read:\n{message}")

    def _plan_ready(self, path: str, rows: list[dict[str, str]], plan: ImportPlan,
                    match: tuple[list[CaseKey], dict[int, Outcome], list[str]]) -> None:
        self._status("")
        dlg = ImportOutcomesDialog(path, plan, self.window,
                                   replan=lambda replace: plan_import(rows, *match, replace=replace))
        dlg.accepted.connect(lambda: self._import(path, dlg.plan))
        self.import_dialog = dlg
        dlg.open()

    def _import(self, path: str, plan: ImportPlan) -> None:
        values = {cid: (o.diagnosis, o.source, o.confirmed_on, o.note) for cid, o in plan.matches.items()}
        changed = self.window.queue_model.set_outcomes(values, how=f"imported from {Path(path).name}")
        if changed is not None:
            self._status(f"Imported {changed} confirmed outcome(s) from {Path(path).name}.", 10000)
            self.refresh_performance()

    # ---- the clinic's own figures ------------------------------------------------------------------
    def show_performance(self) -> Any:
        from gui.dialogs.site_performance import SitePerformanceDialog  # pyqtgraph only when asked for

        if self.performance is None:
            self.performance = SitePerformanceDialog(self.window)
            self.performance.refreshRequested.connect(self.refresh_performance)
        self.performance.show()
        self.performance.raise_()
        self.refresh_performance()
        return self.performance

    def refresh_performance(self) -> None:
        dlg = self.performance
        if dlg is None or not dlg.isVisible():
            return
        dlg.set_busy()
        self.background.run(lambda: compute_reports(self.store.path), self._reports_ready, dlg.set_error)

    def _reports_ready(self, reports: list[ModelReport]) -> None:
        if self.performance is None:
            return
        self.performance.set_reports(reports)
        for view in self.performance.views:
            view.adoptClicked.connect(self.adopt)
            view.resetClicked.connect(self.reset)

    def _card(self, report: ModelReport) -> ModelCard | None:
        return next((c for c in shipped_cards() if (c.name, c.version) == (report.model, report.version)), None)

    def _can_change_policy(self) -> bool:
        if self.store.read_only:
            QMessageBox.warning(self.performance, "Not changed",
                                f"This window is read-only ({self.store.read_only}): the policy cannot be changed.")
            return False
        if self.window.controller.busy:
            QMessageBox.information(self.performance, "Not now", "A scan is running: change the policy when it "
                                    "finishes, so that every case of the scan is triaged under one policy.")
            return False
        return True

    def adopt(self, report: ModelReport) -> bool:
        """Put the report's proposal in force after an explicit confirmation naming thresholds and counts."""
        from gui.dialogs.site_performance import more_benign_words  # loaded with the window that calls this

        p, card = report.proposal, self._card(report)
        if p is None or card is None or not p.supported or not self._can_change_policy():
            return False
        text = (f"Adopt this clinic's operating point for {report.model} {report.version}?\n\n"
                f"Urgent if {card.thresholds.urgent_score} ≥ {p.urgent:.2%} (now {report.thresholds.urgent:.2%}; "
                f"model card {p.card_urgent:.2%}).\nSoon if P(malignant) ≥ {p.soon:.2%} (now "
                f"{report.thresholds.soon:.2%}; model card {p.card_soon:.2%}).\n\n"
                f"Evidence: {p.counts_words()}; method: {p.method}; target {p.target:.0%} of melanomas referred "
                f"(80% interval on future melanomas {p.expected_low:.0%}–{p.expected_high:.0%}).\n\n"
                + (f"{more}\n\n" if (more := more_benign_words(report)) else "") +
                "Every case of this model in the queue is re-prioritised at once; exports and `dermtriage scan` use "
                "the same policy. The change is kept in the audit log and can be undone (Return to the model card's "
                "thresholds).")
        return self._change_policy("Adopt the site operating point", text, "Not adopted",
                                   lambda: adopt_site_policy(self.store, card, p), "Site operating point adopted")

    def reset(self, report: ModelReport) -> bool:
        """Back to the card's thresholds (audited), after a confirmation."""
        card = self._card(report)
        if card is None or not self._can_change_policy():
            return False
        text = (f"Return {report.model} {report.version} to the model card's thresholds (urgent "
                f"{card.thresholds.urgent:.2%}, soon {card.thresholds.soon:.2%})?\n\nNow in force: urgent "
                f"{report.thresholds.urgent:.2%}, soon {report.thresholds.soon:.2%} ({report.policy_origin}).")
        return self._change_policy("Return to the model card's thresholds", text, "Not changed",
                                   lambda: set_policy(self.store, card, None), "Back to the model card's thresholds")

    def _change_policy(self, title: str, question: str, refused_title: str, write: Callable[[], bool],
                       done: str) -> bool:
        """Ask `question`; on Yes run the audited `write`, then re-prioritise the queue. A write the store
        refuses (read-only, full disk) is said and changes nothing."""
        answer = QMessageBox.question(self.performance, title, question,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            changed = write()
        except StoreError as exc:
            QMessageBox.warning(self.performance, refused_title, f"The policy was not changed: {exc}.")
            return False
        self._policy_changed(done)
        return changed

    def _policy_changed(self, what: str) -> None:
        self.window.reload_model()  # as after Settings: the queue is re-prioritised from stored probabilities
        self._status(f"{what}. {self.window.statusBar().currentMessage()}", 10000)
        self.refresh_performance()


def _outcome_filter_buttons(window: MainWindow) -> dict[str, QToolButton]:
    """"With outcome N" / "Awaiting outcome N" in a row under the priority counts (that row is full at 1366
    px): each sets the filter box's words (kept in every row's filter text), like the priority buttons, so
    the user sees why rows are missing."""
    queue, model = window.queue, window.queue_model
    buttons: dict[str, QToolButton] = {}
    row = QHBoxLayout()
    row.setSpacing(2)
    title = QLabel("Confirmed outcome:")
    title.setObjectName("muted")
    row.addWidget(title)
    for words, tip in ((WITH_OUTCOME, "Show only cases with a confirmed outcome (click again for all)"),
                       (AWAITING_OUTCOME, "Show only cases still awaiting a confirmed outcome (click again for all)")):
        b = QToolButton()
        b.setObjectName("outcomeFilter")
        b.setAutoRaise(True)
        b.setCheckable(True)
        b.setToolTip(tip)
        b.clicked.connect(lambda checked, w=words: queue.filter.setText(w if checked else ""))
        row.addWidget(b)
        buttons[words] = b
    row.addStretch(1)
    layout = queue.layout()
    layout.insertLayout(layout.indexOf(queue.stack), row)  # between the priority counts and the table

    def update() -> None:
        with_outcome, awaiting = model.outcome_counts()
        buttons[WITH_OUTCOME].setText(f"With outcome {with_outcome}")
        buttons[AWAITING_OUTCOME].setText(f"Awaiting {awaiting}")

    def sync(text: str) -> None:
        for words, b in buttons.items():
            b.setChecked(text.strip().lower() == words)

    model.countsChanged.connect(update)
    queue.filter.textChanged.connect(sync)
    update()
    return buttons


def inflow_notice(window: MainWindow) -> str:
    """The label-free notice for the model in use over the queue (its stored probabilities, no I/O): said
    in the status bar after every scan, so a shifted device is noticed without opening the Clinic window."""
    card = window.current_card()
    policy = window.queue_model.policy
    thr = policy.thresholds(card.name, card.version) if policy is not None and card is not None else None
    return "" if thr is None else clinic_notice(window.queue_model.records(), card, thr)


def _inflow_label(window: MainWindow, clinic: ClinicCommands) -> QLabel:
    label = QLabel()
    label.setObjectName("inflowNotice")
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setStyleSheet("color: #b35c00")
    label.linkActivated.connect(lambda _link: clinic.show_performance())
    label.hide()

    def update(*_args: object) -> None:
        notice = inflow_notice(window)
        if not notice:
            label.hide()
            return
        more = "far more" in notice
        label.setText(f"Referrals {'far above' if more else 'far below'} the card's validation: "
                      "<a href='#clinic'>Clinic performance…</a>")
        label.setToolTip(notice)
        label.show()

    window.controller.finished.connect(update)
    window.policyApplied.connect(update)
    window.statusBar().addPermanentWidget(label)
    update()
    return label


def install(window: MainWindow) -> ClinicCommands:
    """Wire the clinic's commands into the window: menu, queue column and filter, case panel section."""
    clinic = ClinicCommands(window)
    window.clinic = clinic
    model, panel = window.queue_model, window.case_panel
    card = window.current_card()
    if card is not None:
        model.set_class_names({c.code: c.name for c in card.classes})
    panel.outcome_of = model.outcomes.get
    panel.outcome.outcomeSaved.connect(clinic.save_outcome)
    panel.outcome.set_codes(panel.class_names)
    if window.store.read_only:  # said before the click; a write refused later (full disk) is said at Save
        why = f"Read-only window ({window.store.read_only}): outcomes cannot be recorded here"
        for w in (clinic.import_action, panel.outcome.save_button):
            w.setEnabled(False)
            w.setToolTip(why)
    window.outcome_filters = _outcome_filter_buttons(window)
    window.inflow_label = _inflow_label(window, clinic)
    bar = window.menuBar()
    menu = bar.addMenu("C&linic")
    menu.addAction(clinic.import_action)
    menu.addAction(clinic.performance_action)
    help_menu = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
    if help_menu is not None:  # Help stays last
        bar.insertMenu(help_menu, menu)
    return clinic


__all__ = ["ClinicCommands", "compute_reports", "install", "read_plan"]
