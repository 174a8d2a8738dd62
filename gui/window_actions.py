"""The main window's actions, menus and toolbar, declared as one table.

Keeping them as data means every command has exactly one shortcut definition, which the menus, the
toolbar and the keyboard-shortcuts dialog all read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle

from gui.store import REVIEW_STATUSES

if TYPE_CHECKING:
    from gui.main_window import MainWindow

Keys = str | list[str] | QKeySequence.StandardKey | None
SP = QStyle.StandardPixmap
SK = QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    attr: str
    text: str
    slot: Callable[[MainWindow], Callable[..., Any]]
    keys: Keys = None
    tip: str = ""
    icon: QStyle.StandardPixmap | None = None


SPECS = [
    ActionSpec("act_open", "&Open images…", lambda w: w.open_images, SK.Open, "Add image files to the queue",
               SP.SP_DialogOpenButton),
    ActionSpec("act_scan", "&Scan folder…", lambda w: w.scan_folder, "Ctrl+Shift+O",
               "Add every image in a folder and its sub-folders", SP.SP_DirOpenIcon),
    ActionSpec("act_samples", "Open sa&mple cases", lambda w: w.open_samples, None,
               "Bundled HAM10000 sample images (with attribution)"),
    ActionSpec("act_export_csv", "&Export queue to CSV…", lambda w: lambda: w.export_csv(), "Ctrl+E",
               "The queue as shown (sorted and filtered)", SP.SP_DialogSaveButton),
    ActionSpec("act_export_sel", "Export se&lected to CSV…", lambda w: lambda: w.export_csv(selected=True),
               "Ctrl+Shift+E"),
    ActionSpec("act_report", "Case &report (PDF)…", lambda w: lambda: w.export_report(), "Ctrl+P",
               "One case with image, probabilities, priority, note and model version", SP.SP_FileIcon),
    ActionSpec("act_settings", "Se&ttings…", lambda w: w.open_settings, SK.Preferences),
    ActionSpec("act_quit", "&Quit", lambda w: w.close, SK.Quit),
    ActionSpec("act_next", "&Next case", lambda w: lambda: w.queue.step(1), ["Alt+Down", "Ctrl+J"]),
    ActionSpec("act_prev", "&Previous case", lambda w: lambda: w.queue.step(-1), ["Alt+Up", "Ctrl+K"]),
    ActionSpec("act_rerun", "Re-&analyse selected", lambda w: w.reanalyse_selected, "Ctrl+R",
               "Run the current model (and thresholds) again on the selected cases"),
    ActionSpec("act_remove", "Remove selected from queue", lambda w: w.remove_selected, SK.Delete,
               "Hide from the queue; the database and the audit log keep them"),
    ActionSpec("act_reveal", "Show file in folder", lambda w: w.reveal_file),
    ActionSpec("act_cancel", "Cancel scan", lambda w: w.controller.cancel, "Ctrl+."),
    ActionSpec("act_zoom_in", "Zoom in", lambda w: w.viewer.viewer.zoom_in, ["Ctrl++", "Ctrl+="]),
    ActionSpec("act_zoom_out", "Zoom out", lambda w: w.viewer.viewer.zoom_out, "Ctrl+-"),
    ActionSpec("act_fit", "Fit to window", lambda w: w.viewer.viewer.fit, "Ctrl+0"),
    ActionSpec("act_actual", "Actual size (1:1)", lambda w: w.viewer.viewer.actual_size, "Ctrl+Alt+0"),
    ActionSpec("act_heatmap", "Show &heat map", lambda w: w.viewer.toggle_attention, ["Ctrl+H"],
               "Where the evidence for the top class lay (models with activation maps); H in the viewer"),
    ActionSpec("act_filter", "Filter queue", lambda w: w.focus_filter, SK.Find),
    ActionSpec("act_shortcuts", "&Keyboard shortcuts", lambda w: w.show_shortcuts, "F1"),
    ActionSpec("act_about", "&About DermTriage and the model", lambda w: w.show_about),
]

MENUS = {
    "&File": ["act_open", "act_scan", "act_samples", None, "act_export_csv", "act_export_sel", "act_report",
              None, "act_settings", None, "act_quit"],
    "&Case": ["act_next", "act_prev", None, "review", None, "act_rerun", "act_remove", "act_reveal", None,
              "act_cancel"],
    "&View": ["act_zoom_in", "act_zoom_out", "act_fit", "act_actual", "act_heatmap", None, "act_filter"],
    "&Help": ["act_shortcuts", "act_about"],
}
TOOLBAR = ["act_open", "act_scan", None, "act_export_csv", "act_report"]


def _make(window: MainWindow, text: str, slot: Callable[..., Any], keys: Keys, tip: str = "",
          icon: QStyle.StandardPixmap | None = None) -> QAction:
    act = QAction(text, window)
    act.triggered.connect(slot)
    if keys is not None:
        act.setShortcuts([QKeySequence(k) for k in keys] if isinstance(keys, list) else [QKeySequence(keys)])
    if tip:
        act.setToolTip(tip)
        act.setStatusTip(tip)
    if icon is not None:
        act.setIcon(window.style().standardIcon(icon))
    window.addAction(act)  # shortcuts work even where no menu shows the action
    return act


def install_actions(window: MainWindow) -> None:
    """Create `window.act_*` from SPECS, plus `window.review_actions` (Ctrl+1..4)."""
    for spec in SPECS:
        act = _make(window, spec.text, spec.slot(window), spec.keys, spec.tip, spec.icon)
        setattr(window, spec.attr, act)
    window.review_actions = [
        _make(window, f"Mark {s}", lambda _checked=False, s=s: window.set_review(s), f"Ctrl+{i}")
        for i, s in enumerate(REVIEW_STATUSES, 1)
    ]


def install_menus(window: MainWindow) -> None:
    bar = window.menuBar()
    for title, names in MENUS.items():
        menu = bar.addMenu(title)
        for name in names:
            if name is None:
                menu.addSeparator()
            elif name == "review":
                menu.addActions(window.review_actions)
            else:
                menu.addAction(getattr(window, name))
    tb = window.addToolBar("Main")
    tb.setObjectName("mainToolbar")
    tb.setMovable(False)
    tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for name in TOOLBAR:
        tb.addSeparator() if name is None else tb.addAction(getattr(window, name))
