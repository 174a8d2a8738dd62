"""Small widgets of the queue pane: the review-status editor in the table and the first-start empty state."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from cases.vocab import Review


class ReviewDelegate(QStyledItemDelegate):
    """A combo box for the review column, so only the four allowed statuses can be entered."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> QWidget:
        box = QComboBox(parent)
        box.addItems([r.label for r in Review])
        box.activated.connect(lambda _i: self.commitData.emit(box))
        return box

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:
        status = Review.parse(index.data(Qt.ItemDataRole.EditRole) or "")
        if isinstance(editor, QComboBox) and status is not None:
            editor.setCurrentIndex(status.rank)

    def setModelData(self, editor: QWidget, model, index: QModelIndex) -> None:  # noqa: ANN001
        if isinstance(editor, QComboBox):
            model.setData(index, list(Review)[editor.currentIndex()].value, Qt.ItemDataRole.EditRole)


class EmptyState(QWidget):
    """First start: what to do, with buttons mirroring the File actions (enabled state included)."""

    def __init__(self, actions: Sequence[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addStretch(2)
        title = QLabel("The queue is empty")
        title.setObjectName("emptyTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("Drop dermoscopic images or whole folders onto this window.\n"
                      "Per-patient folders become case IDs; sub-folders are scanned too.")
        hint.setObjectName("muted")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(title)
        lay.addWidget(hint)
        self.buttons: list[QPushButton] = []
        for action in actions:
            b = QPushButton(action.text().replace("&", ""))
            b.setMinimumWidth(220)
            b.clicked.connect(action.trigger)

            def sync(b: QPushButton = b, a: QAction = action) -> None:
                b.setEnabled(a.isEnabled())
                b.setToolTip(a.toolTip())

            action.changed.connect(sync)
            sync()
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(b)
            row.addStretch(1)
            lay.addLayout(row)
            self.buttons.append(b)
        lay.addStretch(3)
