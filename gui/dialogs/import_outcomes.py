"""What an outcomes import would do, shown before anything is written (issue 21).

A pathology system's or a spreadsheet's CSV is matched to the queue's cases by `cases.outcomes.plan_import`;
this dialog lists the matches by kind and every problem. Import is offered only when there is no problem,
because the clinic's figures must never rest on half a file: the whole file goes in one transaction, or
nothing does.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cases.outcomes import ImportPlan


def plan_words(plan: ImportPlan) -> str:
    """One paragraph: how many rows match, and by what."""
    by = ", ".join(f"{n} by {how}" for how, n in sorted(plan.matched_by.items())) or "none"
    words = f"{len(plan.matches)} outcome(s) to record ({by})."
    if plan.unchanged:
        words += f" {plan.unchanged} row(s) repeat an outcome already recorded and change nothing."
    return words


class ImportOutcomesDialog(QDialog):
    """Accepting it (the Import button) means: record `self.plan.matches`; it can only be accepted when ok.

    `replan(replace)`: the same rows matched again, replacing outcomes the file disagrees with; offered as a
    check box only when there are conflicts (a corrected pathology report), never by default."""

    def __init__(self, path: str | Path, plan: ImportPlan, parent: QWidget | None = None,
                 replan: Callable[[bool], ImportPlan] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import confirmed outcomes")
        self.setObjectName("importOutcomesDialog")
        self.path, self.plan, self.replan = Path(path), plan, replan
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.replace = QCheckBox("Replace the recorded outcomes this file disagrees with (each change is audited "
                                 "with the old and the new diagnosis)")
        self.replace.setObjectName("replaceConflicts")
        self.replace.setVisible(bool(plan.conflicts) and replan is not None)
        self.replace.toggled.connect(self._replan)
        self.problems = QListWidget()
        self.problems.setObjectName("importProblems")
        self.problems.setWordWrap(True)  # a problem names the line, the value and the codes allowed: read whole
        self.problems.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = QPushButton()
        self.import_button.setObjectName("importButton")
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.verdict)
        lay.addWidget(self.replace)
        lay.addWidget(self.problems, 1)
        lay.addWidget(self.buttons)
        self._show(plan)
        self.resize(640, 420 if plan.problems else 200)

    def _replan(self, replace: bool) -> None:
        if self.replan is not None:
            self._show(self.replan(replace))

    def _show(self, plan: ImportPlan) -> None:
        self.plan = plan
        self.summary.setText(f"<b>{html.escape(self.path.name)}</b><br>{html.escape(plan_words(plan))}")
        self.problems.clear()
        self.problems.addItems(plan.problems)
        self.problems.setVisible(bool(plan.problems))
        if plan.problems:
            self.verdict.setText(f"<b>Nothing will be imported:</b> {len(plan.problems)} problem(s) below. Correct "
                                 "the file (or the cases' IDs) and import it again; a file goes in whole or not at "
                                 "all.")
            self.verdict.setStyleSheet("color: #c62828")
        elif not plan.matches:
            self.verdict.setText("Nothing to import: every row repeats an outcome already recorded.")
            self.verdict.setStyleSheet("")
        else:
            self.verdict.setText("Every row matches one case. Import records them in one step; each is kept in "
                                 "the audit log with the file's name.")
            self.verdict.setStyleSheet("")
        self.import_button.setText(f"Import {len(plan.matches)} outcome(s)")
        self.import_button.setEnabled(plan.ok and bool(plan.matches))
