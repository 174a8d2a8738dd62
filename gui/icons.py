"""Priority icons drawn in code: each priority has its own shape, so colour is never the only cue.

Drawing them (rather than shipping image files) keeps them crisp at any DPI and leaves nothing to
lose when the app is frozen by PyInstaller.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from cases.vocab import Triage
from inference.resources import assets_dir


def _glyph(p: QPainter, rect: QRectF, text: str) -> None:
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(rect.height() * 0.62))
    p.setFont(font)
    p.setPen(QColor("white"))
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def _paint(kind: Triage, size: int) -> QPixmap:
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    kind = Triage(kind)
    colour = QColor(kind.colour)
    p.setBrush(colour)
    p.setPen(Qt.PenStyle.NoPen)
    s = float(size)
    m = s * 0.06
    if kind == Triage.URGENT:  # warning triangle with "!"
        p.drawPolygon(QPolygonF([QPointF(s / 2, m), QPointF(s - m, s - m), QPointF(m, s - m)]))
        _glyph(p, QRectF(0, s * 0.22, s, s * 0.78), "!")
    elif kind == Triage.SOON:  # clock face
        p.drawEllipse(QRectF(m, m, s - 2 * m, s - 2 * m))
        pen = QPen(QColor("white"), max(1.5, s * 0.11), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        c = QPointF(s / 2, s / 2)
        p.drawLine(c, QPointF(s / 2, s * 0.24))
        p.drawLine(c, QPointF(s * 0.72, s * 0.6))
    elif kind == Triage.ROUTINE:  # circle with a check mark
        p.drawEllipse(QRectF(m, m, s - 2 * m, s - 2 * m))
        pen = QPen(QColor("white"), max(1.5, s * 0.12), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        path = QPainterPath(QPointF(s * 0.28, s * 0.52))
        path.lineTo(QPointF(s * 0.44, s * 0.68))
        path.lineTo(QPointF(s * 0.73, s * 0.35))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
    elif kind == Triage.CANNOT_ASSESS:  # circle with "?"
        p.drawEllipse(QRectF(m, m, s - 2 * m, s - 2 * m))
        _glyph(p, QRectF(0, 0, s, s), "?")
    else:  # error: square with a cross
        p.drawRoundedRect(QRectF(m, m, s - 2 * m, s - 2 * m), s * 0.15, s * 0.15)
        pen = QPen(QColor("white"), max(1.5, s * 0.12), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.drawLine(QPointF(s * 0.32, s * 0.32), QPointF(s * 0.68, s * 0.68))
        p.drawLine(QPointF(s * 0.68, s * 0.32), QPointF(s * 0.32, s * 0.68))
    p.end()
    return pm


@cache
def priority_icon(kind: Triage) -> QIcon:
    icon = QIcon()
    for size in (16, 20, 24, 32, 48):
        icon.addPixmap(_paint(kind, size))
    return icon


def priority_pixmap(kind: Triage, size: int) -> QPixmap:
    return _paint(kind, size)


@cache
def app_icon() -> QIcon:
    """The shipped icon (assets/icons, found frozen too); a drawn stand-in if it is missing."""
    shipped = assets_dir() / "icons" / "dermtriage.png"
    if shipped.is_file():
        icon = QIcon(str(shipped))
        if not icon.isNull():
            return icon
    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = float(size)
        p.setBrush(QColor("#1f5f8b"))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawRoundedRect(QRectF(0, 0, s, s), s * 0.2, s * 0.2)
        p.setBrush(QColor("#f3d9c4"))
        p.drawEllipse(QRectF(s * 0.16, s * 0.16, s * 0.68, s * 0.68))
        p.setBrush(QColor("#6b3f2a"))
        p.drawEllipse(QRectF(s * 0.36, s * 0.38, s * 0.3, s * 0.26))
        p.end()
        icon.addPixmap(pm)
    return icon
