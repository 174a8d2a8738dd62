"""Settings: which shipped model, inference threads, the triage policy's thresholds, theme.

Thresholds are edited for the model selected in the same dialog, because cut-offs only mean something for
the calibration of one model. They are the triage policy: stored in the audited case store (not in the
user's settings), applied at once to every case of that model in the queue, and beside them the dialog
shows what they do on the card's own validation images (melanoma sensitivity, benign referral rate).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, QStandardPaths, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cases.export_csv import export_target_problem
from cases.policy import SENSITIVITY_FLOOR, card_policy_effect, policy_thresholds, set_policy, write_policy_file
from cases.store import Store
from gui.screen_fit import place
from gui.settings import THEMES, AppSettings
from inference.card import ModelCard, available_models, card_path_for
from inference.errors import ModelError
from inference.referral import MELANOMA_FIRST
from inference.session import cpu_count


def _card(name: str) -> ModelCard | None:
    try:
        return ModelCard.load(card_path_for(name))
    except ModelError:
        return None


def documents_dir() -> Path:
    """The user's Documents folder (created when missing), else home: exports never go next to originals."""
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if docs:
        try:
            Path(docs).mkdir(parents=True, exist_ok=True)
            return Path(docs)
        except OSError:
            pass
    return Path.home()


class SettingsDialog(QDialog):
    """Edits `AppSettings` and the store's triage policy; `apply()` writes them (on OK); `changed_model`
    then asks for a model reload (and the queue's re-prioritisation)."""

    def __init__(self, settings: AppSettings, store: Store, busy: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings, self.store = settings, store
        self.changed_model = False
        self.changed_policy = False
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
        self.effect = QLabel()
        self.effect.setWordWrap(True)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #c62828; font-weight: bold")
        reset = QPushButton("Reset to model card")
        reset.clicked.connect(self._reset_thresholds)
        self.export_button = QPushButton("Export policy…")
        self.export_button.setToolTip("Save these thresholds as a file for `dermtriage scan --policy FILE`")
        self.export_button.clicked.connect(lambda: self.export_policy())
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c62828")
        thr = QGroupBox("Triage policy (P(malignant) = P(mel) + P(bcc) + P(akiec))")
        tf = QFormLayout(thr)
        self.urgent_label = QLabel("Urgent at or above")
        self.soon_label = QLabel("Soon if P(malignant) at or above")
        tf.addRow(self.urgent_label, self.urgent)
        tf.addRow(self.soon_label, self.soon)
        tf.addRow(self.card_values)
        tf.addRow(self.effect)
        tf.addRow(self.warning)
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(reset)
        buttons_row.addWidget(self.export_button)
        buttons_row.addStretch(1)
        tf.addRow(buttons_row)
        note = QLabel("A change re-prioritises every case of this model in the queue at once, from the stored "
                      "probabilities (no re-analysis); CSV and PDF exports and `dermtriage scan` use the same "
                      "policy. Who changed what is kept in the audit log.")
        note.setWordWrap(True)
        note.setObjectName("muted")
        tf.addRow(note)

        form = QFormLayout()
        form.addRow("Model", self.model)
        form.addRow("Inference threads", self.threads)
        form.addRow("Theme", self.theme)
        self.policy_locked = bool(getattr(store, "read_only", ""))
        if busy:
            for w in (self.model, self.threads, self.urgent, self.soon, reset):
                w.setEnabled(False)
            form.addRow(QLabel("A scan is running: model settings can be changed when it finishes."))
        elif self.policy_locked:  # the policy lives in the store, which this window cannot write
            for w in (self.urgent, self.soon, reset):
                w.setEnabled(False)
            form.addRow(QLabel("This window is read-only: the triage policy cannot be changed here."))
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
        self.setMinimumWidth(520)
        self.model.currentIndexChanged.connect(self._load_thresholds)
        self.urgent.valueChanged.connect(self._validate)
        self.soon.valueChanged.connect(self._validate)
        self._load_thresholds()
        place(self, "settings", QSize(620, self.sizeHint().height()))

    def _fit_texts(self) -> None:
        """Tall enough for every wrapped explanation at the current width (Qt sizes a dialog by its labels'
        one-line hints, so the warning, when it appeared, pushed the explanation below the visible area)."""
        lay = self.layout()
        if lay is None:
            return
        lay.activate()
        need = lay.totalHeightForWidth(self.width()) if lay.hasHeightForWidth() else lay.totalMinimumSize().height()
        self.setMinimumHeight(need)
        if self.height() < need:
            self.resize(self.width(), need)

    def showEvent(self, event) -> None:  # noqa: ANN001 - QShowEvent
        super().showEvent(event)
        self._fit_texts()

    def resizeEvent(self, event) -> None:  # noqa: ANN001 - QResizeEvent
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            QTimer.singleShot(0, self._fit_texts)  # narrower: the texts wrap onto more lines

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

    def stored_override(self, card: ModelCard) -> tuple[float, float] | None:
        return self.store.policy_overrides().get((card.name, card.version))

    def _load_thresholds(self) -> None:
        card = self.selected_card
        if card is None:
            self.card_values.setText("This model's card cannot be read.")
            return
        urgent, soon = self.stored_override(card) or (card.thresholds.urgent, card.thresholds.soon)
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

    def _override(self, card: ModelCard) -> tuple[float, float] | None:
        """The dialog's thresholds as an override, or None when they are the card's (to display precision)."""
        urgent, soon = self.thresholds()
        if (abs(urgent - round(card.thresholds.urgent, 6)) < 6e-5
                and abs(soon - round(card.thresholds.soon, 6)) < 6e-5):
            return None
        return urgent, soon

    def _validate(self) -> None:
        card = self.selected_card
        # Only the malignant-sum rule nests its thresholds; melanoma-first puts them on different scores.
        bad = self.soon.value() > self.urgent.value() and (card is None or card.thresholds.kind != MELANOMA_FIRST)
        self.problem.setText("The soon threshold must not be above the urgent threshold." if bad else "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not bad)
        self._show_effect()
        if self.isVisible():
            self._fit_texts()  # the warning may have appeared (or gone)

    def _show_effect(self) -> None:
        card = self.selected_card
        self.warning.setText("")
        if card is None:
            self.effect.setText("")
            return
        effect = card_policy_effect(card, policy_thresholds(card, self._override(card)))
        if effect is None:
            self.effect.setText("This model card carries no validation scores, so what these thresholds do to "
                                "melanoma sensitivity and benign referrals cannot be shown.")
            return
        sens = "—" if effect.melanoma_sensitivity is None else f"{effect.melanoma_sensitivity:.1%}"
        urg = "—" if effect.melanoma_urgent is None else f"{effect.melanoma_urgent:.1%}"
        ben = "—" if effect.benign_referral is None else f"{effect.benign_referral:.1%}"
        self.effect.setText(f"On the card's validation images: melanoma sensitivity (urgent or soon) {sens} "
                            f"of {effect.n_melanoma} melanomas ({urg} urgent); benign lesions referred {ben} "
                            f"of {effect.n_benign}.")
        if effect.below_floor:
            self.warning.setText(f"Warning: these thresholds would miss more than {1 - SENSITIVITY_FLOOR:.0%} of "
                                 "the melanomas in the card's validation data.")

    def thresholds(self) -> tuple[float, float]:
        return round(self.urgent.value() / 100, 6), round(self.soon.value() / 100, 6)

    def export_policy(self, path: str | None = None) -> bool:
        """The selected model's thresholds as shown, as a file for `dermtriage scan --policy FILE`."""
        card = self.selected_card
        if card is None:
            return False
        if path is None:
            default = documents_dir() / f"dermtriage_policy_{card.name}_{card.version}.json"
            path, _ = QFileDialog.getSaveFileName(self, "Export triage policy", str(default), "JSON (*.json)")
        if not path:
            return False
        problem = export_target_problem(path, (r.path for r in self.store.load_cases()))
        if not problem:
            try:
                write_policy_file(path, card, self._override(card), self.store.user)
            except OSError as exc:
                problem = f"{path} could not be written: {exc.strerror or exc}"
        if problem:
            QMessageBox.warning(self, "Policy not exported", problem)
            return False
        return True

    def apply(self) -> None:
        s = self.settings
        name = self.model.currentData()
        card = self.selected_card
        before = (s.model_name, s.threads)
        s.theme = self.theme.currentData()
        self.changed_policy = False
        if self.model.isEnabled():
            s.model_name = name
            s.threads = self.threads.value()
            if card is not None and not self.policy_locked:
                self.changed_policy = set_policy(self.store, card, self._override(card))
        self.changed_model = before != (s.model_name, s.threads) or self.changed_policy
        s.sync()
