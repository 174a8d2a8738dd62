"""Settings: which shipped model, inference threads, referral thresholds (card defaults), theme.

Thresholds are edited for the model selected in the same dialog, because cut-offs only mean something
for the calibration of one model.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.settings import THEMES, AppSettings
from inference.card import MELANOMA_FIRST, ModelCard, available_models, card_path_for
from inference.errors import ModelError
from inference.session import cpu_count


def _card(name: str) -> ModelCard | None:
    try:
        return ModelCard.load(card_path_for(name))
    except ModelError:
        return None


class SettingsDialog(QDialog):
    """Edits `AppSettings`; `apply()` writes them (on OK); `changed_model` then asks for a model reload."""

    def __init__(self, settings: AppSettings, busy: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.changed_model = False
        self._cards: dict[str, ModelCard | None] = {n: _card(n) for n in available_models()}

        self.model = QComboBox()
        for name, card in self._cards.items():
            self.model.addItem(f"{name} {card.version}" if card else f"{name} (card unreadable)", name)
        current = self.model.findData(settings.model_name)
        self.model.setCurrentIndex(max(0, current))
        self.threads = QSpinBox()
        self.threads.setRange(1, max(1, cpu_count()))
        self.threads.setValue(settings.threads)
        self.threads.setToolTip("ONNX Runtime threads for the model (image decoding uses its own small pool)")
        self.theme = QComboBox()
        for t in THEMES:
            self.theme.addItem(t.capitalize(), t)
        self.theme.setCurrentIndex(THEMES.index(settings.theme))

        self.urgent = self._pct_box()
        self.soon = self._pct_box()
        self.card_values = QLabel()
        self.card_values.setObjectName("muted")
        self.card_values.setWordWrap(True)
        reset = QPushButton("Reset to model card")
        reset.clicked.connect(self._reset_thresholds)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c62828")
        thr = QGroupBox("Referral thresholds (P(malignant) = P(mel) + P(bcc) + P(akiec))")
        tf = QFormLayout(thr)
        self.urgent_label = QLabel("Urgent at or above")
        self.soon_label = QLabel("Soon if P(malignant) at or above")
        tf.addRow(self.urgent_label, self.urgent)
        tf.addRow(self.soon_label, self.soon)
        tf.addRow(self.card_values)
        tf.addRow(reset)
        tf.addRow(QLabel("New thresholds apply to images analysed from now on; use Case > Re-analyse to "
                         "update cases already in the queue."))

        form = QFormLayout()
        form.addRow("Model", self.model)
        form.addRow("Inference threads", self.threads)
        form.addRow("Theme", self.theme)
        if busy:
            for w in (self.model, self.threads, self.urgent, self.soon, reset):
                w.setEnabled(False)
            form.addRow(QLabel("A scan is running: model settings can be changed when it finishes."))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(thr)
        lay.addWidget(self.problem)
        lay.addWidget(self.buttons)
        self.model.currentIndexChanged.connect(self._load_thresholds)
        self.urgent.valueChanged.connect(self._validate)
        self.soon.valueChanged.connect(self._validate)
        self._load_thresholds()

    @staticmethod
    def _pct_box() -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(0.0, 100.0)
        box.setDecimals(2)
        box.setSingleStep(0.5)
        box.setSuffix(" %")
        return box

    @property
    def selected_card(self) -> ModelCard | None:
        return self._cards.get(self.model.currentData())

    def _load_thresholds(self) -> None:
        card = self.selected_card
        if card is None:
            self.card_values.setText("This model's card cannot be read.")
            return
        urgent, soon = self.settings.threshold_override(card) or (
            card.thresholds.urgent,
            card.thresholds.soon,
        )
        self.urgent.setValue(urgent * 100)
        self.soon.setValue(soon * 100)
        self.urgent_label.setText(f"Urgent if {card.thresholds.urgent_score} at or above")
        self.card_values.setText(
            f"Model card: urgent {card.thresholds.urgent:.1%}, soon {card.thresholds.soon:.1%}"
            f" — {card.thresholds.rule}"
        )
        self._validate()

    def _reset_thresholds(self) -> None:
        card = self.selected_card
        if card is not None:
            self.urgent.setValue(card.thresholds.urgent * 100)
            self.soon.setValue(card.thresholds.soon * 100)

    def _validate(self) -> None:
        card = self.selected_card
        # Only the malignant-sum rule nests its thresholds; melanoma-first puts them on different scores.
        bad = self.soon.value() > self.urgent.value() and (card is None or card.thresholds.kind != MELANOMA_FIRST)
        self.problem.setText("The soon threshold must not be above the urgent threshold." if bad else "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not bad)

    def thresholds(self) -> tuple[float, float]:
        return round(self.urgent.value() / 100, 6), round(self.soon.value() / 100, 6)

    def apply(self) -> None:
        s = self.settings
        name = self.model.currentData()
        card = self.selected_card
        before = (s.model_name, s.threads, s.threshold_override(card) if card else None)
        s.theme = self.theme.currentData()
        if self.model.isEnabled():
            s.model_name = name
            s.threads = self.threads.value()
            if card is not None:
                urgent, soon = self.thresholds()
                if (abs(urgent - round(card.thresholds.urgent, 6)) < 6e-5
                        and abs(soon - round(card.thresholds.soon, 6)) < 6e-5):
                    s.set_threshold_override(card, None)  # unchanged from the card: follow the card
                else:
                    s.set_threshold_override(card, (urgent, soon))
        after = (s.model_name, s.threads, s.threshold_override(card) if card else None)
        self.changed_model = before != after
        s.sync()
