"""The case panel's "Confirmed outcome" section: what the lesion turned out to be (issue 21).

Why a section of its own, saved by an explicit button rather than on every change like the note: an
outcome is evidence the clinic's figures and its operating point rest on, so it is written only when the
clinician says it is complete (diagnosis, source, date), in one audited store write. The section only
edits; `QueueModel.set_outcomes` writes, and a refusal (read-only window, full disk) comes back through
`show_error` beside the button.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cases.outcomes import SOURCES, UNSPECIFIED, diagnosis_codes
from cases.site import BENIGN, MALIGNANT
from gui.queue_model import OutcomeValue

DATE_FORMAT = "yyyy-MM-dd"
GROUP_WORDS = {BENIGN: "Benign (type not known)", MALIGNANT: "Malignant (type not known)"}


class OutcomePanel(QWidget):
    """`outcomeSaved(case_id, value or None)` when Save is clicked; the receiver writes it to the store."""

    outcomeSaved = Signal(int, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case_id: int | None = None
        self._failed = False
        title = QLabel("CONFIRMED OUTCOME")
        title.setObjectName("sectionTitle")
        self.diagnosis = QComboBox()
        self.diagnosis.setObjectName("outcomeDiagnosis")
        self.diagnosis.setToolTip("What the lesion turned out to be; the clinic's own figures rest on these")
        self.source = QComboBox()
        self.source.setObjectName("outcomeSource")
        for combo in (self.diagnosis, self.source):  # long class names must not widen the case panel
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
        for s in SOURCES:
            self.source.addItem(s, s)
        # A typed ISO date, empty when not known (an import often has none; a date box cannot be empty).
        self.date = QLineEdit()
        self.date.setObjectName("outcomeDate")
        self.date.setPlaceholderText("YYYY-MM-DD (empty: not known)")
        self.date.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,4}(-\d{0,2}(-\d{0,2})?)?")))
        self.note = QLineEdit()
        self.note.setObjectName("outcomeNote")
        self.note.setPlaceholderText("e.g. pathology report number")
        for edit in (self.date, self.note):  # drops anywhere in the window mean "add these images"
            edit.setAcceptDrops(False)
        self.save_button = QPushButton("Save outcome")
        self.save_button.setObjectName("outcomeSave")
        self.save_button.clicked.connect(self.save)
        self.state = QLabel()
        self.state.setObjectName("muted")
        self.state.setWordWrap(True)
        self.diagnosis.currentIndexChanged.connect(self._sync_enabled)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Diagnosis", self.diagnosis)
        form.addRow("Source", self.source)
        form.addRow("Confirmed on", self.date)
        form.addRow("Note", self.note)
        row = QHBoxLayout()
        row.addWidget(self.state, 1)
        row.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(title)
        lay.addLayout(form)
        lay.addLayout(row)
        self.set_codes({})

    def set_codes(self, class_names: dict[str, str]) -> None:
        """The card's class codes (with their full names), then benign / malignant, then none."""
        current = self.diagnosis.currentData()
        self.diagnosis.blockSignals(True)
        self.diagnosis.clear()
        self.diagnosis.addItem("None recorded", None)
        for code in diagnosis_codes(list(class_names)):
            full = class_names.get(code, code)
            name = GROUP_WORDS.get(code) or f"{full[:1].upper() + full[1:]} ({code})"
            self.diagnosis.addItem(name, code)
        self.diagnosis.setCurrentIndex(max(0, self.diagnosis.findData(current)))
        self.diagnosis.blockSignals(False)
        self._sync_enabled()

    def show_outcome(self, case_id: int | None, value: OutcomeValue | None) -> None:
        """Show the stored outcome of `case_id` (None: no case; the section hides)."""
        self.case_id = case_id
        self.setVisible(case_id is not None)
        self.state.setStyleSheet("")
        dx, source, on, note = value if value is not None else (None, SOURCES[0], "", "")
        if dx is not None and self.diagnosis.findData(dx) < 0:  # a code this card does not name
            self.diagnosis.addItem(dx, dx)
        self.diagnosis.setCurrentIndex(max(0, self.diagnosis.findData(dx)))
        if self.source.findData(source) < 0:  # "unspecified", from an import without a source column
            self.source.addItem(source, source)
        self.source.setCurrentIndex(self.source.findData(source))
        self.date.setText(on)
        self.note.setText(note)
        self.state.setText("" if value is None else f"Recorded: {self.diagnosis.currentText()}")
        self._sync_enabled()

    def value(self) -> OutcomeValue | None:
        """What the widgets say now (None: no outcome)."""
        dx = self.diagnosis.currentData()
        if dx is None:
            return None
        return dx, self.source.currentData() or UNSPECIFIED, self.date.text().strip(), self.note.text().strip()

    def _sync_enabled(self) -> None:
        has_dx = self.diagnosis.currentData() is not None
        for w in (self.source, self.date, self.note):
            w.setEnabled(has_dx)

    def save(self) -> None:
        """Hand the outcome to the store (through `outcomeSaved`); say whether it was kept."""
        if self.case_id is None:
            return
        value = self.value()
        if value is not None and value[2]:
            date = QDate.fromString(value[2], DATE_FORMAT)
            if not date.isValid() or date > QDate.currentDate():
                self.show_error(f"the date {value[2]} is not a past date of the form YYYY-MM-DD")
                return
        self._failed = False
        self.outcomeSaved.emit(self.case_id, value)  # a refusal arrives in show_error before this returns
        if not self._failed:
            self.state.setStyleSheet("")
            self.state.setText("Outcome cleared" if value is None else f"Outcome saved: {value[0]}")

    def show_error(self, message: str) -> None:
        self._failed = True
        self.state.setText(f"⚠ Outcome NOT saved: {message}.")
        self.state.setStyleSheet("color: #c62828; font-weight: 600;")
