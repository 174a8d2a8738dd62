"""The main window's actions, menus and toolbar: every command with exactly one shortcut definition.

`WindowActions` creates the QActions as typed attributes (no strings naming attributes); the window
connects them to the objects that do the work. The menus, the toolbar and the keyboard-shortcuts dialog
all read these same actions.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle, QWidget

from cases.vocab import Review

Keys = str | list[str] | QKeySequence.StandardKey | None
SP = QStyle.StandardPixmap
SK = QKeySequence.StandardKey


def bind(action: QAction, command: Callable[[], object]) -> None:
    """Run `command()` with no arguments whenever `action` fires.

    Why: `triggered(bool checked)` is passed by PySide to any slot that accepts a positional argument, so
    `scan_folder(folder=None)` received `False` as its folder and silently did nothing (issue 22). Every
    action goes through here, so no command ever sees Qt's `checked`; a checkable action's state is read
    from the action itself (or its `toggled` signal), never from `triggered`'s argument.
    """
    action.triggered.connect(lambda *_qt_args: command())


class WindowActions:
    """All of the window's commands. Created in menu order, which the shortcuts dialog lists."""

    def __init__(self, owner: QWidget) -> None:
        self._owner = owner
        make = self._make
        self.open = make("&Open images…", SK.Open, "Add image files to the queue", SP.SP_DialogOpenButton)
        self.scan = make("&Scan folder…", "Ctrl+Shift+O", "Add every image in a folder and its sub-folders",
                         SP.SP_DirOpenIcon)
        self.samples = make("Open sa&mple cases", None, "Bundled HAM10000 sample images (with attribution)")
        self.export_csv = make("&Export queue to CSV…", "Ctrl+E", "The queue as shown (sorted and filtered)",
                               SP.SP_DialogSaveButton)
        self.export_selected = make("Export se&lected to CSV…", "Ctrl+Shift+E")
        self.report = make("Case &report (PDF)…", "Ctrl+P",
                           "One case with image, probabilities, priority, note and model version", SP.SP_FileIcon)
        self.settings = make("Se&ttings…", SK.Preferences)
        self.quit = make("&Quit", SK.Quit)
        self.next = make("&Next case", ["Alt+Down", "Ctrl+J"])
        self.next_unreviewed = make("Next &unreviewed", "N", "The next case (in the order shown) still marked new")
        self.prev = make("&Previous case", ["Alt+Up", "Ctrl+K"])
        self.rerun = make("Re-&analyse selected", "Ctrl+R",
                          "Run the current model (and thresholds) again on the selected cases")
        self.remove = make("Remove selected from queue", SK.Delete,
                           "Hide from the queue; the database and the audit log keep them")
        self.reveal = make("Show file in folder")
        self.set_case_id = make("Set &case ID…", "Ctrl+I", "Give every selected case one case ID (patient)")
        self.compare = make("&Compare two images…", "Ctrl+Shift+C",
                            "Two selected images of one lesion side by side, zoom and pan together")
        self.cancel = make("Cancel scan", "Ctrl+.")
        self.zoom_in = make("Zoom in", ["Ctrl++", "Ctrl+="])
        self.zoom_out = make("Zoom out", "Ctrl+-")
        self.fit = make("Fit to window", "Ctrl+0")
        self.actual = make("Actual size (1:1)", "Ctrl+Alt+0")
        self.heatmap = make("Show &heat map", ["Ctrl+H"],
                            "Where the evidence for the top class lay (models with activation maps); H in the viewer")
        self.filter = make("Filter queue", SK.Find)
        self.group = make("&Group by case ID", "Ctrl+G", "Patients: one collapsible group per case ID, "
                          "under its worst priority")
        self.group.setCheckable(True)
        self.shortcuts = make("&Keyboard shortcuts", "F1")
        self.about = make("&About DermTriage and the model")
        self.intended_use = make("&Intended use and limitations")
        # Ctrl+1..4: new / reviewed / referred / dismissed, in Review's order.
        self.review: list[QAction] = [make(f"Mark {r}", f"Ctrl+{r.rank + 1}") for r in Review]

    def _make(self, text: str, keys: Keys = None, tip: str = "", icon: QStyle.StandardPixmap | None = None
              ) -> QAction:
        act = QAction(text, self._owner)
        if keys is not None:
            act.setShortcuts([QKeySequence(k) for k in keys] if isinstance(keys, list) else [QKeySequence(keys)])
        if tip:
            act.setToolTip(tip)
            act.setStatusTip(tip)
        if icon is not None:
            act.setIcon(self._owner.style().standardIcon(icon))
        self._owner.addAction(act)  # shortcuts work even where no menu shows the action
        return act

    def menus(self) -> dict[str, list[QAction | None]]:
        """Menu title -> its actions (None: a separator)."""
        return {
            "&File": [self.open, self.scan, self.samples, None, self.export_csv, self.export_selected, self.report,
                      None, self.settings, None, self.quit],
            "&Case": [self.next, self.prev, self.next_unreviewed, None, *self.review, None, self.set_case_id,
                      self.compare, None, self.rerun, self.remove, self.reveal, None, self.cancel],
            "&View": [self.zoom_in, self.zoom_out, self.fit, self.actual, self.heatmap, None, self.filter,
                      self.group],
            "&Help": [self.intended_use, self.shortcuts, self.about],
        }

    def context_menu(self) -> list[QAction | None]:
        """Right-click on the queue: the commands on the cases under the pointer."""
        return [*self.review, None, self.set_case_id, self.compare, self.report, None, self.rerun,
                self.reveal, self.remove]

    def toolbar(self) -> list[QAction | None]:
        return [self.open, self.scan, None, self.export_csv, self.report]
