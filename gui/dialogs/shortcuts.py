"""Help > Keyboard shortcuts, generated from the window's actions so it can never drift from them."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from gui.screen_fit import place

VIEWER_KEYS = [
    ("Image: zoom in / out", "+ / −, or the mouse wheel"),
    ("Image: fit to window", "F or 0"),
    ("Image: actual size (1:1)", "1"),
    ("Image: pan", "drag with the mouse"),
    ("Queue: edit case ID or review status", "F2 or double-click"),
]


def action_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    rows = []
    for a in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts() if not k.isEmpty()]
        if keys:
            rows.append((a.text().replace("&", "").rstrip("…."), " or ".join(keys)))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, actions: Iterable[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        place(self, "shortcuts", QSize(520, 560))  # fits the screen; the user's size next time
        rows = action_rows(actions) + VIEWER_KEYS
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (label, keys) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(label))
            self.table.setItem(i, 1, QTableWidgetItem(keys))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(buttons)
