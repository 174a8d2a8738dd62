"""Follow-up: two images of one case side by side with synchronised zoom and pan, and their dates.

Sequential digital dermoscopy is how clinicians watch a lesion change, so both images move together:
zoom one and the other follows; drag one and the other pans to the same place (as a fraction of the image).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QGridLayout, QLabel, QWidget

from cases.policy import triage_state
from cases.records import CaseRecord
from cases.vocab import UNASSIGNED
from gui.queue_model import format_added
from gui.screen_fit import place
from gui.viewer import ImageViewer


def image_date(rec: CaseRecord) -> str:
    """When the image was taken as far as we can tell (the file's modification time), and when it was added."""
    try:
        taken = datetime.fromtimestamp(Path(rec.path).stat().st_mtime).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    except OSError:
        taken = "file not found"
    return f"File dated {taken} · added {format_added(rec.added)}"


class CompareDialog(QDialog):
    """Two cases' images (older left) with synchronised zoom and pan."""

    def __init__(self, records: list[CaseRecord], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        first, second = sorted(records[:2], key=lambda r: (_mtime(r), r.added))
        self.records = [first, second]
        case = first.patient_id or UNASSIGNED
        self.setWindowTitle(f"Compare images — {case}")
        self.viewers = [ImageViewer(self), ImageViewer(self)]
        grid = QGridLayout(self)
        for col, (rec, viewer) in enumerate(zip(self.records, self.viewers, strict=True)):
            head = QLabel(f"<b>{rec.patient_id or UNASSIGNED} · {rec.file_name}</b> — "
                          f"{triage_state(rec.result).label}<br>{image_date(rec)}")
            head.setWordWrap(True)
            grid.addWidget(head, 0, col)
            grid.addWidget(viewer, 1, col)
            grid.setColumnStretch(col, 1)
            viewer.load(rec.path)
        grid.setRowStretch(1, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        grid.addWidget(buttons, 2, 0, 1, 2)
        self._syncing = False
        a, b = self.viewers
        for src, dst in ((a, b), (b, a)):
            src.zoomChanged.connect(lambda _z, s=src, d=dst: self._sync_zoom(s, d))
            for bar_src, bar_dst in ((src.horizontalScrollBar(), dst.horizontalScrollBar()),
                                     (src.verticalScrollBar(), dst.verticalScrollBar())):
                bar_src.valueChanged.connect(lambda _v, s=bar_src, d=bar_dst: self._sync_bar(s, d))
        place(self, "compare", QSize(1100, 640))  # fits the screen; the user's size next time

    def _sync_zoom(self, src: ImageViewer, dst: ImageViewer) -> None:
        if self._syncing or not (src.has_image and dst.has_image):
            return
        self._syncing = True
        try:
            if src._fit:
                dst.fit()
            else:  # the same magnification relative to each image's fitted size, the same place in view
                dst._set_zoom(src.zoom / max(src.fit_zoom(), 1e-9) * dst.fit_zoom())
                for s_bar, d_bar in ((src.horizontalScrollBar(), dst.horizontalScrollBar()),
                                     (src.verticalScrollBar(), dst.verticalScrollBar())):
                    if s_bar.maximum() > 0:
                        d_bar.setValue(round(s_bar.value() / s_bar.maximum() * d_bar.maximum()))
        finally:
            self._syncing = False

    def _sync_bar(self, src, dst) -> None:  # noqa: ANN001 - QScrollBar
        if self._syncing or src.maximum() <= 0:
            return
        self._syncing = True
        try:
            dst.setValue(round(src.value() / src.maximum() * dst.maximum()))
        finally:
            self._syncing = False


def _mtime(rec: CaseRecord) -> float:
    try:
        return Path(rec.path).stat().st_mtime
    except OSError:
        return 0.0
