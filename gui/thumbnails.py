"""Queue thumbnails, decoded off the GUI thread and only for the rows on screen.

The queue asks for the thumbnails of the rows in view (after scrolling, sorting or new results), so a
10,000-case queue decodes a screenful of images, not the whole folder. JPEGs are decoded at reduced
size by QImageReader's scaled read; the model keeps a bounded number of them (LRU).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

THUMB_SIZE = QSize(56, 42)


def load_scaled(path: str, bound: QSize) -> QImage:
    """Read an image scaled to fit `bound`, EXIF orientation applied; a null QImage when unreadable."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and (size.width() > bound.width() or size.height() > bound.height()):
        reader.setScaledSize(size.scaled(bound, Qt.AspectRatioMode.KeepAspectRatio))
    img = reader.read()
    if not img.isNull() and (img.width() > bound.width() or img.height() > bound.height()):
        img = img.scaled(
            bound, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return img


class _Signals(QObject):
    loaded = Signal(int, QImage)


class _Job(QRunnable):
    def __init__(self, key: int, path: str, signals: _Signals) -> None:
        super().__init__()
        self.key, self.path, self.signals = key, path, signals

    def run(self) -> None:
        self.signals.loaded.emit(self.key, load_scaled(self.path, THUMB_SIZE))


class ThumbnailLoader(QObject):
    """`request(case_id, path)` decodes off the GUI thread; `loaded(case_id, QImage)` when done."""

    loaded = Signal(int, QImage)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loading: set[int] = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # the scan already uses the other cores
        self._signals = _Signals()
        self._signals.loaded.connect(self._on_loaded)

    def request(self, case_id: int, path: str) -> None:
        if case_id not in self._loading:
            self._loading.add(case_id)
            self._pool.start(_Job(case_id, path, self._signals))

    def _on_loaded(self, case_id: int, img: QImage) -> None:
        self._loading.discard(case_id)
        self.loaded.emit(case_id, img)

    def shutdown(self) -> None:
        self._pool.clear()
        self._pool.waitForDone(2000)
