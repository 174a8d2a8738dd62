"""The case panel: what the model said about one case, why, how fast, and the clinician's note.

Everything shown comes from the stored result (never recomputed here), so the panel shows exactly what
was recorded, including the model version that produced it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from cases.policy import triage_state
from cases.records import CaseRecord
from cases.vocab import DISCLAIMER, UNASSIGNED, Review
from gui.icons import priority_pixmap
from gui.outcome_panel import OutcomePanel
from gui.queue_model import OutcomeValue, format_added
from inference.result import Result
from inference.vocab import Status

NOTE_SAVE_MS = 700


class ProbabilityBars(QWidget):
    """All classes, most probable first: full name, percentage, and a bar; malignant ones labelled."""

    ROW = 32

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, float, bool]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rows(self, rows: list[tuple[str, float, bool]]) -> None:
        self.rows = sorted(rows, key=lambda r: -r[1])
        self.setFixedHeight(max(1, len(self.rows)) * self.ROW)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(260, max(1, len(self.rows)) * self.ROW)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        w = self.width()
        pct_w = 58
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.82)
        bold = QFont(self.font())
        bold.setBold(True)
        muted = pal.placeholderText().color()
        for i, (name, prob, malignant) in enumerate(self.rows):
            y = i * self.ROW
            p.setFont(bold if i == 0 else self.font())
            p.setPen(pal.windowText().color())
            text_rect = QRectF(0, y, w - pct_w - 4, 18)
            p.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       p.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, int(text_rect.width())))
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            p.drawText(QRectF(w - pct_w, y, pct_w, 18), right, f"{prob:.1%}")
            tag_w = 0
            if malignant:  # said in words, not only by the bar's colour
                p.setFont(small)
                p.setPen(muted)
                tag_w = p.fontMetrics().horizontalAdvance("malignant") + 8
                p.drawText(QRectF(w - tag_w, y + 18, tag_w, 14),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, "malignant")
            track = QRectF(0, y + 22, w - tag_w, 6)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(pal.mid().color().lighter(125))
            p.drawRoundedRect(track, 3, 3)
            p.setBrush(QColor("#b23b3b") if malignant else QColor("#3c7bb6"))
            p.drawRoundedRect(QRectF(0, y + 22, max(3.0, track.width() * prob), 6), 3, 3)


def _section(title: str) -> QLabel:
    label = QLabel(title.upper())
    label.setObjectName("sectionTitle")
    return label


def _muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("muted")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class CasePanel(QScrollArea):
    """`noteChanged(case_id, text)` after typing pauses; `reviewChanged(case_id, status)`."""

    noteChanged = Signal(int, str)
    reviewChanged = Signal(int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.case_id: int | None = None
        self.class_names: dict[str, str] = {}
        self.malignant: tuple[str, ...] = ()  # from the model card (set_model_info)
        body = QWidget()
        self.setWidget(body)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(14, 12, 14, 12)
        lay.setSpacing(8)

        self.title = QLabel("No case selected")
        self.title.setObjectName("caseTitle")
        self.title.setWordWrap(True)
        self.subtitle = _muted("Select a case in the queue, or drop images onto the window.")
        lay.addWidget(self.title)
        lay.addWidget(self.subtitle)

        self.priority_box = QFrame()
        self.priority_box.setObjectName("priorityBox")
        pb = QGridLayout(self.priority_box)
        pb.setContentsMargins(10, 8, 10, 8)
        self.priority_icon = QLabel()
        self.priority_text = QLabel()
        self.priority_text.setObjectName("priorityText")
        self.priority_rule = _muted()
        pb.addWidget(self.priority_icon, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        pb.addWidget(self.priority_text, 0, 1)
        pb.addWidget(self.priority_rule, 1, 1)
        pb.setColumnStretch(1, 1)
        lay.addWidget(self.priority_box)

        self.prob_title = _section("Class probabilities")
        self.bars = ProbabilityBars()
        self.malignant_label = _muted()
        lay.addWidget(self.prob_title)
        lay.addWidget(self.bars)
        lay.addWidget(self.malignant_label)

        self.quality_title = _section("Image quality")
        self.quality = _muted()
        lay.addWidget(self.quality_title)
        lay.addWidget(self.quality)

        self.details_title = _section("Analysis")
        self.details = _muted()
        lay.addWidget(self.details_title)
        lay.addWidget(self.details)

        self.review_title = _section("Review")
        row = QHBoxLayout()
        self.review = QComboBox()
        self.review.addItems([r.label for r in Review])
        self.review.setToolTip("Ctrl+1 new · Ctrl+2 reviewed · Ctrl+3 referred · Ctrl+4 dismissed")
        self.review.activated.connect(self._review_picked)
        self.review_label = QLabel("Status")
        row.addWidget(self.review_label)
        row.addWidget(self.review, 1)
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("Clinician's note (saved automatically)")
        self.note.setMinimumHeight(64)
        self.note.setMaximumHeight(120)
        self.note.textChanged.connect(self._note_typed)
        self.note_state = _muted()
        lay.addWidget(self.review_title)
        lay.addLayout(row)
        lay.addWidget(self.note)
        lay.addWidget(self.note_state)
        self.outcome = OutcomePanel()  # issue 21; its Save goes to QueueModel.set_outcomes (gui/clinic.py)
        self.outcome_of: Callable[[int], OutcomeValue | None] = lambda _case_id: None
        lay.addWidget(self.outcome)
        lay.addStretch(1)
        disclaimer = _muted(DISCLAIMER)
        disclaimer.setObjectName("disclaimer")
        lay.addWidget(disclaimer)

        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.setInterval(NOTE_SAVE_MS)
        self._note_timer.timeout.connect(self.save_note)
        self._loading = False
        self._unsaved: dict[int, str] = {}  # notes the store refused (read-only, disk full): kept, retried
        self._save_failed = False
        self.show_case(None)

    def set_model_info(self, class_names: dict[str, str], malignant: tuple[str, ...]) -> None:
        self.class_names, self.malignant = dict(class_names), tuple(malignant)
        self.outcome.set_codes(self.class_names)

    def show_case(self, rec: CaseRecord | None) -> None:
        """Display `rec` (None: the empty state). A pending note for the previous case is saved first."""
        self.save_note()
        self._loading = True
        self.case_id = rec.id if rec else None
        self.outcome.show_outcome(self.case_id, self.outcome_of(rec.id) if rec else None)
        has = rec is not None
        for w in (self.priority_box, self.quality_title, self.quality, self.details_title, self.details,
                  self.review_title, self.review_label, self.review, self.note, self.note_state):
            w.setVisible(has)
        ok = has and rec.result.ok and bool(rec.result.probabilities)
        for w in (self.prob_title, self.bars, self.malignant_label):
            w.setVisible(ok)
        if rec is None:
            self.title.setText("No case selected")
            self.subtitle.setText("Select a case in the queue, or drop images onto the window.")
            self.note.setPlainText("")
            self._loading = False
            return
        self.title.setText(f"{rec.patient_id or UNASSIGNED}  ·  {rec.file_name}")
        size = f"  ·  {rec.result.width}×{rec.result.height} px" if rec.result.width and rec.result.height else ""
        self.subtitle.setText(f"Added {format_added(rec.added)}{size}")
        self.subtitle.setToolTip(rec.path)
        res = rec.result
        state = triage_state(res)
        self.priority_icon.setPixmap(priority_pixmap(state, 32))
        self.priority_text.setText(state.headline)
        self.priority_box.setProperty("priority", state.value)
        self.priority_box.style().unpolish(self.priority_box)
        self.priority_box.style().polish(self.priority_box)
        why = res.priority_rule[:1].upper() + res.priority_rule[1:] if ok else (res.message or "No result recorded")
        self.priority_rule.setText(why)
        if ok:
            assert res.probabilities is not None
            probs = res.probabilities.items()
            self.bars.set_rows([(self._class_label(c), p, c in self.malignant) for c, p in probs])
            self.malignant_label.setText(f"P(malignant) = {res.malignant_score or 0:.1%}: the sum of the "
                                         "classes marked malignant.")
        self.quality.setText(self._quality_text(res))
        self.quality.setToolTip(self._quality_scores(res) if res.quality else "")
        self.details.setText(self._details_text(rec))
        self.review.setCurrentIndex(rec.review_status.rank)
        kept = self._unsaved.get(rec.id)
        note = rec.note if kept is None else kept
        if self.note.toPlainText() != note:
            self.note.setPlainText(note)
        self.note_state.setText("" if kept is None else "Editing…")  # an unsaved note is retried
        self._loading = False

    def _class_label(self, code: str) -> str:
        return self.class_names.get(code, code)

    @staticmethod
    def _quality_text(res: Result) -> str:
        if res.status == Status.ERROR:
            return f"Not analysed: {res.message}" if res.message else "Not analysed."
        lines = []
        if res.status == Status.REJECTED:
            lines.append(f"Refused by the quality gate: {res.message}")
        else:
            lines.append("Passed the quality gate.")
        lines += [f"Warning: {w}" for w in res.warnings]
        return "\n".join(lines)

    @staticmethod
    def _quality_scores(res: Result) -> str:
        scores = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in res.quality.items())
        return f"Quality gate scores: {scores}"

    @staticmethod
    def _details_text(rec: CaseRecord) -> str:
        def ms(v: float | None) -> str:
            return "—" if v is None else f"{v:.1f} ms"

        res = rec.result
        lines = [f"Decode {ms(res.decode_ms)}  ·  preprocess {ms(res.preprocess_ms)}  ·  "
                 f"inference {ms(res.inference_ms)}"]
        if res.model_name:
            lines.append(
                f"Model {res.model_name} {res.model_version}  ·  analysed {format_added(rec.analysed)}"
            )
        if rec.sha256:
            lines.append(f"SHA-256 {rec.sha256[:16]}…")
        return "\n".join(lines)

    # ---- edits -------------------------------------------------------------------------------------
    def _review_picked(self, index: int) -> None:
        if self.case_id is not None and not self._loading:
            self.reviewChanged.emit(self.case_id, list(Review)[index].value)

    def set_review(self, status: Review | str) -> None:
        review = Review.parse(status)
        if review is not None:
            self.review.setCurrentIndex(review.rank)

    def _note_typed(self) -> None:
        if not self._loading and self.case_id is not None:
            self.note_state.setText("Editing…")
            self._note_timer.start()

    def save_note(self) -> None:
        """Write a pending note now (called on a pause in typing, on case change and on close)."""
        if self._note_timer.isActive() or self.note_state.text() == "Editing…":
            self._note_timer.stop()
            if self.case_id is not None:
                text = self.note.toPlainText()
                self._save_failed = False
                self.noteChanged.emit(self.case_id, text)  # the store's answer arrives in show_write_error
                if self._save_failed:
                    self._unsaved[self.case_id] = text
                else:
                    self._unsaved.pop(self.case_id, None)
                    self.note_state.setText("Note saved")
                    self.note_state.setStyleSheet("")

    def show_write_error(self, what: str, message: str) -> None:
        """A write the store refused, said beside the edit; a note stays in the editor and is retried."""
        if what == "outcome":
            self.outcome.show_error(message)
            return
        self._save_failed = what == "note"
        self.note_state.setText(f"⚠ {what.capitalize()} NOT saved: {message}."
                                + (" Your text is kept here and saved once this is fixed." if what == "note" else ""))
        self.note_state.setStyleSheet("color: #c62828; font-weight: 600;")
        self.note_state.setVisible(self.case_id is not None)

    @property
    def unsaved_notes(self) -> dict[int, str]:
        return dict(self._unsaved)
