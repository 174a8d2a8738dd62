"""Small widgets of the main window: the scan progress strip and the model error banner."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QWidget,
)


def format_eta(seconds: float) -> str:
    if seconds < 0:
        return "estimating…"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min left"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s left"
    return f"{seconds} s left"


class ElidedLabel(QLabel):
    """One line of text that ends in "…" when the space is short, and never asks for more width."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(20)

    def paintEvent(self, event) -> None:  # noqa: ANN001 - QPaintEvent
        p = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideMiddle, rect.width())
        p.setPen(self.palette().windowText().color())
        p.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)


class DropOverlay(QLabel):
    """The drop highlight: a dashed frame over the window while files are dragged over it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__("Drop images or folders to analyse them", parent)
        self.setObjectName("dropOverlay")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("QLabel#dropOverlay { border: 3px dashed #1f5f8b; border-radius: 8px; font-size: 16pt;"
                           " font-weight: 600; color: #1f5f8b; background: rgba(31, 95, 139, 40); }")
        self.hide()

    def show_over(self, widget: QWidget) -> None:
        self.setGeometry(widget.rect().adjusted(4, 4, -4, -4))
        self.raise_()
        self.show()


class ScanProgress(QWidget):
    """n / N, images per second, time left, and Cancel; hidden when no scan runs."""

    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setFixedWidth(220)
        self.bar.setTextVisible(True)
        self.label = QLabel()
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop the scan (Ctrl+.); results so far are kept")
        self.cancel.clicked.connect(self._cancel)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel)
        self.hide()

    def _cancel(self) -> None:
        self.cancel.setEnabled(False)
        self.label.setText("Cancelling…")
        self.cancelRequested.emit()

    def start(self) -> None:
        self.bar.setRange(0, 0)  # busy until the folders are listed
        self.label.setText("Listing files…")
        self.cancel.setEnabled(True)
        self.show()

    def set_total(self, total: int) -> None:
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(0)
        self.bar.setFormat(f"0 / {total}")

    def update_progress(self, done: int, total: int, rate: float, eta: float) -> None:
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(done)
        self.bar.setFormat(f"{done} / {total}")
        if self.cancel.isEnabled():
            self.label.setText(f"{rate:.0f} images/s · {format_eta(eta)}")

    def finish(self) -> None:
        self.hide()


class ErrorBanner(QFrame):
    """A visible, persistent explanation when the model is unusable (scanning is then disabled)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(28, 28))
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton("Settings…")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def _restyle(self, name: str) -> None:
        """The theme styles the banner by object name (red: unusable model; amber: custom model)."""
        if self.objectName() != name:
            self.setObjectName(name)
            for w in (self, *self.findChildren(QWidget)):
                w.style().unpolish(w)
                w.style().polish(w)

    def show_custom_model(self, notice: str) -> None:
        """A custom model runs (inference/shipped.py): said for as long as it is loaded, not in a status
        message the next scan replaces."""
        self._restyle("customModelBanner")
        self.text.setText(f"<b>{html.escape(notice)}</b><br>Every export says so (the CSV's model_binding "
                          "column, a line in the PDF). Choose a shipped model in Settings to use a validated one.")
        self.show()

    def show_error(self, model_name: str, error: str) -> None:
        self._restyle("errorBanner")
        self.text.setText(
            f"<b>The model “{model_name}” could not be loaded, so no images can be analysed.</b>"
            f"<br>{error}<br>Cases already in the queue can still be reviewed and exported. "
            "Reinstall the app or choose another model in Settings."
        )
        self.show()
