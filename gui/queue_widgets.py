"""Small widgets of the queue pane: the priority count buttons, the review-status editor in the table and the
first-start empty state."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cases.vocab import Review, Triage
from gui.icons import priority_pixmap


class PriorityCounts(QWidget):
    """The counts by priority, each a filter button ("Urgent 3": click to see only those, again for all).
    One row, or two when the pane is narrow: the words always stay (icons alone read as decoration at
    1024 px, issue 22); the triage order reads left to right, top to bottom."""

    NARROW = 470  # px of pane below which the buttons take two rows

    def __init__(self, on_filter: Callable[[Triage | None], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(2)
        self.rows = 0
        self.buttons: dict[Triage, QToolButton] = {}
        for state in Triage:
            b = QToolButton()
            b.setObjectName("counts")
            b.setIcon(QIcon(priority_pixmap(state, 14)))
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setAutoRaise(True)
            b.setCheckable(True)
            b.setToolTip(f"Show only {state.label.lower()} cases (click again for all)")
            b.clicked.connect(lambda checked, s=state: on_filter(s if checked else None))
            self.buttons[state] = b
        self.place(1)

    def place(self, rows: int) -> None:
        if rows == self.rows:
            return
        self.rows = rows
        per_row = -(-len(self.buttons) // rows)
        for b in self.buttons.values():
            self.grid.removeWidget(b)
        for i, b in enumerate(self.buttons.values()):
            self.grid.addWidget(b, i // per_row, i % per_row)
        for col in range(len(self.buttons) + 1):
            self.grid.setColumnStretch(col, 0)
        self.grid.setColumnStretch(per_row, 1)

    def update_counts(self, counts: Mapping[Triage, int], pane_width: int) -> None:
        self.place(2 if pane_width < self.NARROW else 1)
        for state, b in self.buttons.items():
            n = counts.get(state, 0)
            b.setText(f"{state.label} {n}")
            b.setAccessibleName(f"{state.label} {n}")

    def sync(self, text: str) -> None:
        """Checked where the filter box holds that priority's word."""
        for state, b in self.buttons.items():
            b.setChecked(text.strip().lower() == state.label.lower())


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
