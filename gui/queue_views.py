"""The queue's two views (flat table, patients tree) under one rule: what is shown is what commands act on.

Qt's default for an extended selection lets Ctrl+arrows (and Ctrl+Home/End, Ctrl+Space, a Ctrl+click that
deselects) move the current row without selecting it: the viewer and case panel follow the current row,
while Set case ID and the other selection commands act on the highlighted rows, so a case ID went to
another image than the one on screen (issue 22). Here:

- keyboard moves with Ctrl (no Shift) select the row they land on, like plain arrows;
- after any selection change, the current row is always one of the selected rows: if the user deselected
  it, the current moves to the nearest selected row (so the case shown is one that is acted on), and if
  nothing is selected any more, the current row is selected again;
- Home/End go to the first/last case (never the first/last column), Left/Right never move sideways: a
  row is the unit, and sideways moves scrolled Priority, P(malignant) and Case ID out of view.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QTableView, QTreeView, QWidget

SF = QItemSelectionModel.SelectionFlag
NAV_KEYS = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown, Qt.Key.Key_Home,
            Qt.Key.Key_End, Qt.Key.Key_Space}
CA = QAbstractItemView.CursorAction


def follow_command(event: QEvent | None, default: SF) -> SF:
    """Ctrl+navigation selects where it lands (Qt: moves the current row only, leaving the highlight)."""
    if event is not None and event.type() == QEvent.Type.KeyPress:
        mods = event.modifiers()  # type: ignore[attr-defined]
        if (mods & Qt.KeyboardModifier.ControlModifier and not mods & Qt.KeyboardModifier.ShiftModifier
                and event.key() in NAV_KEYS):  # type: ignore[attr-defined]
            return SF.ClearAndSelect | SF.Rows
    return default


def add_context_actions(view: QAbstractItemView, actions: Sequence[QAction | None]) -> None:
    """`view`'s right-click menu: these actions (None: a separator)."""
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    for action in actions:
        if action is None:
            sep = QAction(view)
            sep.setSeparator(True)
            view.addAction(sep)
        else:
            view.addAction(action)


class _CurrentInSelection:
    """Keeps the current row inside the selection (checked once the event that changed it has finished,
    because Qt moves the current row before it applies the selection of a click)."""

    def __init__(self, view: QAbstractItemView) -> None:
        self.view = view
        self.timer = QTimer(view)
        self.timer.setSingleShot(True)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self.enforce)
        view.selectionModel().selectionChanged.connect(lambda *_a: self.timer.start())
        view.selectionModel().currentChanged.connect(lambda *_a: self.timer.start())

    def enforce(self) -> None:
        sm = self.view.selectionModel()
        cur = self.view.currentIndex()
        if not cur.isValid() or sm.isRowSelected(cur.row(), cur.parent()):
            return
        rows = [i for i in sm.selectedRows(0) if i.isValid()]
        if not rows:
            sm.select(cur, SF.Select | SF.Rows)
            return
        # The nearest selected row (in the same parent first) becomes the case shown; the selection stays.
        nearest = min(rows, key=lambda i: (i.parent() != cur.parent(), abs(i.row() - cur.row())))
        sm.setCurrentIndex(nearest.siblingAtColumn(max(cur.column(), 0)), SF.NoUpdate)


class QueueTable(QTableView):
    """The flat queue. It never scrolls sideways (the pane decides which columns fit: `viewportResized`),
    so Priority, P(malignant) and Case ID, on the left, are always in view."""

    viewportResized = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keeper: _CurrentInSelection | None = None
        self.setTabKeyNavigation(False)  # Tab leaves the queue; there is nothing to do cell by cell
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # A wheel tilt or a click on a partly visible cell must not slide the leading columns away either.
        self.horizontalScrollBar().valueChanged.connect(
            lambda v: self.horizontalScrollBar().setValue(0) if v else None)

    def viewportEvent(self, event: QEvent) -> bool:
        handled = super().viewportEvent(event)
        if event.type() == QEvent.Type.Resize:
            self.viewportResized.emit()
        return handled

    def setModel(self, model) -> None:  # noqa: ANN001 - any item model
        super().setModel(model)
        self._keeper = _CurrentInSelection(self)

    def selectionCommand(self, index: QModelIndex | QPersistentModelIndex, event: QEvent | None = None) -> SF:
        return follow_command(event, super().selectionCommand(index, event))

    def moveCursor(self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier) -> QModelIndex:
        model = self.model()
        cur = self.currentIndex()
        if action in (CA.MoveHome, CA.MoveEnd) and model is not None and model.rowCount():
            row = 0 if action == CA.MoveHome else model.rowCount() - 1
            return model.index(row, cur.column() if cur.isValid() else 0)
        if action in (CA.MoveLeft, CA.MoveRight) and cur.isValid():
            return cur
        return super().moveCursor(action, modifiers)


class QueueTree(QTreeView):
    """The queue grouped by case ID (patients)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keeper: _CurrentInSelection | None = None

    def setModel(self, model) -> None:  # noqa: ANN001 - any item model
        super().setModel(model)
        self._keeper = _CurrentInSelection(self)

    def selectionCommand(self, index: QModelIndex | QPersistentModelIndex, event: QEvent | None = None) -> SF:
        return follow_command(event, super().selectionCommand(index, event))
