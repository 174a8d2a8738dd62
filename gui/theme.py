"""Light, dark or system appearance, plus the few styles that make the queue readable at a glance.

Fusion is used for light and dark because it honours a palette identically on every OS; "system"
keeps the platform's own style and colours.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from cases.vocab import Triage

_NATIVE_STYLE: dict[str, str] = {}


def _palette(dark: bool) -> QPalette:
    pal = QPalette()
    if dark:
        colors = {
            QPalette.ColorRole.Window: "#26282b", QPalette.ColorRole.WindowText: "#e6e6e6",
            QPalette.ColorRole.Base: "#1e1f22", QPalette.ColorRole.AlternateBase: "#2a2c30",
            QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#2f3236",
            QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#2f6ea5",
            QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2f3236",
            QPalette.ColorRole.ToolTipText: "#e6e6e6", QPalette.ColorRole.Mid: "#4a4d52",
            QPalette.ColorRole.PlaceholderText: "#8a8d91", QPalette.ColorRole.Link: "#7fb3e6",
        }
    else:
        colors = {
            QPalette.ColorRole.Window: "#f4f5f7", QPalette.ColorRole.WindowText: "#1f2328",
            QPalette.ColorRole.Base: "#ffffff", QPalette.ColorRole.AlternateBase: "#f6f8fa",
            QPalette.ColorRole.Text: "#1f2328", QPalette.ColorRole.Button: "#eceef1",
            QPalette.ColorRole.ButtonText: "#1f2328", QPalette.ColorRole.Highlight: "#cfe3f7",
            QPalette.ColorRole.HighlightedText: "#0b2540", QPalette.ColorRole.ToolTipBase: "#ffffe8",
            QPalette.ColorRole.ToolTipText: "#1f2328", QPalette.ColorRole.Mid: "#c9ccd1",
            QPalette.ColorRole.PlaceholderText: "#7a7f85", QPalette.ColorRole.Link: "#1f5f8b",
        }
    for role, value in colors.items():
        pal.setColor(role, QColor(value))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#8a8d91"))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#8a8d91"))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#8a8d91"))
    return pal


def is_dark(app: QApplication) -> bool:
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def stylesheet(dark: bool) -> str:
    muted = "#9aa0a6" if dark else "#5f6670"
    box = "#2f3236" if dark else "#ffffff"
    border = "#44474c" if dark else "#d5d8dc"
    prio = "".join(
        f'QFrame#priorityBox[priority="{t.value}"] {{ border-left: 5px solid {t.colour}; }}\n' for t in Triage
    )
    return f"""
    QLabel#sectionTitle {{ color: {muted}; font-size: 8.5pt; font-weight: 600; letter-spacing: 1px;
                           padding-top: 8px; }}
    QLabel#muted {{ color: {muted}; }}
    QLabel#disclaimer {{ color: {muted}; font-size: 8.5pt; border-top: 1px solid {border};
                         padding-top: 6px; }}
    QLabel#caseTitle {{ font-size: 12.5pt; font-weight: 600; }}
    QLabel#priorityText {{ font-size: 13pt; font-weight: 700; }}
    QLabel#viewerCaption {{ font-weight: 600; }}
    QLabel#emptyTitle {{ font-size: 14pt; font-weight: 600; }}
    QFrame#priorityBox {{ background: {box}; border: 1px solid {border}; border-radius: 4px; }}
    {prio}
    QFrame#errorBanner {{ background: {"#4a1f1f" if dark else "#fdecea"}; border: 1px solid #c62828;
                          border-radius: 4px; }}
    QFrame#errorBanner QLabel {{ color: {"#ffd7d3" if dark else "#7f1d1d"}; }}
    QFrame#customModelBanner {{ background: {"#4a3510" if dark else "#fff4e5"}; border: 1px solid #e65100;
                               border-radius: 4px; }}
    QFrame#customModelBanner QLabel {{ color: {"#ffe0b2" if dark else "#7a3200"}; }}
    QLabel#counts, QToolButton#counts {{ color: {muted}; }}
    QTableView {{ gridline-color: {border}; }}
    QHeaderView::section {{ padding: 4px 6px; }}
    """


def apply_theme(app: QApplication, theme: str) -> None:
    """Switch appearance at runtime (Settings) as well as at start-up."""
    if "name" not in _NATIVE_STYLE:
        _NATIVE_STYLE["name"] = app.style().name()
    hints = app.styleHints()
    if theme in ("light", "dark"):
        app.setStyle(QStyleFactory.create("Fusion"))
        if hasattr(hints, "setColorScheme"):
            hints.setColorScheme(Qt.ColorScheme.Dark if theme == "dark" else Qt.ColorScheme.Light)
        app.setPalette(_palette(theme == "dark"))
    else:
        if hasattr(hints, "unsetColorScheme"):
            hints.unsetColorScheme()
        app.setStyle(QStyleFactory.create(_NATIVE_STYLE["name"]) or QStyleFactory.create("Fusion"))
        app.setPalette(app.style().standardPalette())
    app.setStyleSheet(stylesheet(is_dark(app)))
