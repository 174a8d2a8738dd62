"""Intended use and limitations: the first-start notice (shown once) and Help > Intended use."""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from cases.vocab import INTENDED_USE_TITLE, training_summary
from gui.dialogs.about import card_intended_use
from gui.screen_fit import place
from inference.card import ModelCard


def intended_use_html(card: ModelCard | None) -> str:
    return "".join(f"<h3>{html.escape(t)}</h3><p>{html.escape(b)}</p>" for t, b in card_intended_use(card))


def notice_html(card: ModelCard | None) -> str:
    """The start-up notice's one paragraph: what the model in use was trained on, from its card."""
    trained = training_summary(card.doc.training_data if card is not None and card.doc is not None else "")
    return ("<b>Research use only — not a medical device.</b> Trained on " + html.escape(trained) +
            "; performance drops on other devices and populations, and P(malignant) overstates risk where "
            "cancers are rarer than in those collections.")


class IntendedUseDialog(QDialog):
    def __init__(self, card: ModelCard | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(INTENDED_USE_TITLE)
        self.browser = QTextBrowser()
        self.browser.setHtml(intended_use_html(card))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser)
        lay.addWidget(buttons)
        place(self, "intended_use", QSize(620, 520))  # fits the screen; the user's size next time


class IntendedUseNotice(QFrame):
    """The first-start notice: a bar above the panes (never a modal box in the way of the work).
    `dismissed()` when the user has read it; Help > Intended use keeps the full text."""

    dismissed = Signal()
    readMore = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("intendedUseNotice")
        self.setStyleSheet("QFrame#intendedUseNotice { background: #fff4e0; border: 1px solid #e0b060; "
                           "border-radius: 4px; } QFrame#intendedUseNotice QLabel { color: #3b2a00; }")
        text = self.text = QLabel(notice_html(None))
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        more = QPushButton("Read more")
        more.clicked.connect(self.readMore.emit)
        ok = QPushButton("I understand")
        ok.clicked.connect(self._dismiss)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addWidget(text, 1)
        lay.addWidget(more)
        lay.addWidget(ok)

    def set_card(self, card: ModelCard | None) -> None:
        """The model in use changed (start-up, Settings): say what this one was trained on."""
        self.text.setText(notice_html(card))

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
