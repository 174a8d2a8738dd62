"""Windows and dialogs fit the screen they open on, and remember the size the user gave them.

Issue 22: the window opened at a fixed 1600x960 (on 1366x768 and 1024x700 the case panel and the status
bar started off-screen) and About at 720x760 (its Close button below a 700 px screen). Every top-level
window here asks `place` for its size: the user's last size if there is one, else its preferred size,
always clamped to the available geometry (screen minus panels and docks) of the screen it opens on,
with room for the window manager's title bar, and moved inside that area.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSettings, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# Room for the frame the window manager adds (title bar, borders) outside the widget's own geometry.
FRAME_W, FRAME_H = 16, 40
KEY = "ui/size/{}"


def available_geometry(widget: QWidget) -> QRect:
    """The usable area of the screen `widget` opens on (its parent's screen for a dialog)."""
    parent = widget.parentWidget()
    screen = (parent.window().screen() if parent is not None else None) or widget.screen() \
        or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1024, 700)


def fitted(size: QSize, area: QRect) -> QSize:
    """`size`, no larger than `area` less the window frame."""
    return QSize(max(1, min(size.width(), area.width() - FRAME_W)),
                 max(1, min(size.height(), area.height() - FRAME_H)))


def saved_size(name: str) -> QSize | None:
    value = QSettings().value(KEY.format(name))
    return value if isinstance(value, QSize) and value.isValid() else None


def _client_area(area: QRect) -> QRect:
    """Where the window's own (client) rectangle may lie so that its frame stays inside `area`: whether the
    platform positions a new window by its frame or by its client area, both then fit."""
    side = FRAME_W // 2
    return area.adjusted(side, FRAME_H - side, -side, -side)


def _clamped_pos(pos: QPoint, size: QSize, area: QRect) -> QPoint:
    room = _client_area(area)
    x = max(room.left(), min(pos.x(), room.right() - size.width() + 1))
    y = max(room.top(), min(pos.y(), room.bottom() - size.height() + 1))
    return QPoint(x, y)


def place(widget: QWidget, name: str, preferred: QSize, remember: bool = True) -> None:
    """Size `widget` (its saved size, else `preferred`) to fit its screen and keep it inside the screen;
    with `remember`, save its size whenever it is hidden (closed) so the next one opens the same."""
    area = available_geometry(widget)
    size = fitted((saved_size(name) if remember else None) or preferred, area)
    widget.resize(size)
    # Centred over the parent for a dialog, centred on the screen otherwise; inside the available area.
    parent = widget.parentWidget()
    centre = parent.window().geometry().center() if parent is not None else _client_area(area).center()
    widget.move(_clamped_pos(QPoint(centre.x() - size.width() // 2, centre.y() - size.height() // 2), size, area))
    if remember:
        widget.installEventFilter(_SizeKeeper(name, widget))


def keep_inside(widget: QWidget) -> None:
    """After a restored geometry (saved on a larger screen): shrink and move it onto this screen."""
    area = available_geometry(widget)
    size = fitted(widget.size(), area)
    if size != widget.size():
        widget.resize(size)
    pos = _clamped_pos(widget.geometry().topLeft(), size, area)
    if pos != widget.geometry().topLeft():
        widget.move(pos)


class _SizeKeeper(QObject):
    """Saves the widget's size under its name when it is hidden (a dialog closing, the window quitting)."""

    def __init__(self, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.name = name

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Hide and isinstance(obj, QWidget) and obj.isWindow():
            QSettings().setValue(KEY.format(self.name), obj.size())
        return False
