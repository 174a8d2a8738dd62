"""Lazily loaded queue thumbnails: decoded off the GUI thread, only for rows the view actually paints.

The table asks for a thumbnail only when a row becomes visible, so a 10,000-case queue decodes a
screenful of images, not the whole folder. JPEGs are decoded at reduced size by QImageReader's scaled
read, and the cache is bounded (LRU) to keep memory flat all day.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap

from gui.qtcompat import emit

THUMB_SIZE = QSize(56, 42)
CACHE_LIMIT = 3000


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
        emit(self.signals.loaded, self.key, load_scaled(self.path, THUMB_SIZE))


class ThumbnailCache(QObject):
    """`get(case_id, path)` returns a pixmap or None (and starts a load); `ready(case_id)` when loaded."""

    ready = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self._loading: set[int] = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # the scan already uses the other cores
        self._signals = _Signals()
        self._signals.loaded.connect(self._on_loaded)

    def get(self, case_id: int, path: str) -> QPixmap | None:
        pm = self._cache.get(case_id)
        if pm is not None:
            self._cache.move_to_end(case_id)
            return pm
        if case_id not in self._loading:
            self._loading.add(case_id)
            self._pool.start(_Job(case_id, path, self._signals))
        return None

    def _on_loaded(self, case_id: int, img: QImage) -> None:
        self._loading.discard(case_id)
        self._cache[case_id] = QPixmap.fromImage(img) if not img.isNull() else QPixmap()
        while len(self._cache) > CACHE_LIMIT:
            self._cache.popitem(last=False)
        emit(self.ready, case_id)

    def shutdown(self) -> None:
        self._pool.clear()
        self._pool.waitForDone(2000)
