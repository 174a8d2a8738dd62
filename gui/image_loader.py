"""Images decoded off the GUI thread: one runnable for the viewer (full size) and the queue (thumbnails).

`ImageLoader.request(key, path, bound)` returns at once; `loaded(key, QImage, error)` arrives on the
GUI thread when the decode is done. Each user owns a loader (its own one-thread pool, so thumbnails
never queue behind a 24 MP photo) and decides what the key means: the viewer a load token (a stale load
never replaces the case the user has since moved to), the queue a case ID. JPEGs are decoded at
reduced size by QImageReader's scaled read when a bound is given.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

QImageReader.setAllocationLimit(1024)  # MB; the inference decoder has its own (stricter) pixel limit
THUMB_SIZE = QSize(56, 42)


def load_scaled(path: str, bound: QSize | None = None) -> tuple[QImage, str]:
    """(image, "") read with EXIF orientation applied and scaled to fit `bound` (None: full size), or
    (null image, why) when the file cannot be read."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)  # EXIF orientation, as the model saw it
    size = reader.size()
    if bound is not None and size.isValid() and (size.width() > bound.width() or size.height() > bound.height()):
        reader.setScaledSize(size.scaled(bound, Qt.AspectRatioMode.KeepAspectRatio))
    img = reader.read()
    if img.isNull():
        return img, reader.errorString() or "unreadable file"
    if bound is not None and (img.width() > bound.width() or img.height() > bound.height()):
        img = img.scaled(bound, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return img, ""


class _Signals(QObject):
    loaded = Signal(int, QImage, str)


class _Load(QRunnable):
    def __init__(self, key: int, path: str, bound: QSize | None, signals: _Signals) -> None:
        super().__init__()
        self.key, self.path, self.bound, self.signals = key, path, bound, signals

    def run(self) -> None:
        self.signals.loaded.emit(self.key, *load_scaled(self.path, self.bound))


class ImageLoader(QObject):
    """`request(key, path, bound)` decodes on a worker thread; `loaded(key, QImage, error)` when done."""

    loaded = Signal(int, QImage, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # the scan already uses the other cores
        self._signals = _Signals()
        self._signals.loaded.connect(self.loaded)

    def request(self, key: int, path: str, bound: QSize | None = None) -> None:
        self._pool.start(_Load(key, path, bound, self._signals))

    def clear(self) -> None:
        """Drop the requests not started yet."""
        self._pool.clear()

    def shutdown(self, timeout_ms: int = 2000) -> None:
        self._pool.clear()
        self._pool.waitForDone(timeout_ms)
