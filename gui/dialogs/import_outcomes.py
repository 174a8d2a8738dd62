"""What an outcomes import would do, shown before anything is written (issue 21).

A pathology system's or a spreadsheet's CSV is matched to the queue's cases by `cases.outcomes.plan_import`;
this dialog lists the matches by kind and every problem. Import is offered only when there is no problem,
because the clinic's figures must never rest on half a file: the whole file goes in one transaction, or
nothing does.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget

from cases.outcomes import ImportPlan


def plan_words(plan: ImportPlan) -> str:
    """One paragraph: how many rows match, and by what."""
    by = ", ".join(f"{n} by {how}" for how, n in sorted(plan.matched_by.items())) or "none"
    words = f"{len(plan.matches)} outcome(s) to record ({by})."
    if plan.unchanged:
        words += f" {plan.unchanged} row(s) repeat an outcome already recorded and change nothing."
    return words


class ImportOutcomesDialog(QDialog):
    """Accepting it (the Import button) means: record `plan.matches`; it can only be accepted when ok."""

    def __init__(self, path: str | Path, plan: ImportPlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import confirmed outcomes")
        self.setObjectName("importOutcomesDialog")
        self.plan = plan
        self.summary = QLabel(f"<b>{Path(path).name}</b><br>{plan_words(plan)}")
        self.summary.setWordWrap(True)
        self.problems = QListWidget()
        self.problems.setObjectName("importProblems")
        self.problems.addItems(plan.problems)
        self.problems.setVisible(bool(plan.problems))
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        if plan.problems:
            self.verdict.setText(f"<b>Nothing will be imported:</b> {len(plan.problems)} problem(s) below. Correct "
                                 "the file (or the cases' IDs) and import it again; a file goes in whole or not at "
                                 "all.")
            self.verdict.setStyleSheet("color: #c62828")
        elif not plan.matches:
            self.verdict.setText("Nothing to import: every row repeats an outcome already recorded.")
        else:
            self.verdict.setText("Every row matches one case. Import records them in one step; each is kept in "
                                 "the audit log with the file's name.")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = QPushButton(f"Import {len(plan.matches)} outcome(s)")
        self.import_button.setObjectName("importButton")
        self.import_button.setEnabled(plan.ok and bool(plan.matches))
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.verdict)
        lay.addWidget(self.problems, 1)
        lay.addWidget(self.buttons)
        self.resize(640, 420 if plan.problems else 200)
