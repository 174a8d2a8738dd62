"""Images decoded off the GUI thread: one runnable for the viewer (full size) and the queue (thumbnails).

`ImageLoader.request(key, path, bound)` returns at once; `loaded(key, QImage, error)` arrives on the
GUI thread when the decode is done. Each user owns a loader (its own one-thread pool, so thumbnails
never queue behind a 24 MP photo) and decides what the key means: the viewer a load token (a stale load
never replaces the case the user has since moved to), the queue a case ID. JPEGs are decoded at
reduced size by QImageReader's scaled read when a bound is given; only regular files are read.
"""

from __future__ import annotations

import queue
import threading

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader

from inference.errors import ImageError
from inference.files import read_bytes
from inference.image import decode_plan

QImageReader.setAllocationLimit(1024)  # MB; a backstop: inference.image.decode_plan's budget is checked first
THUMB_SIZE = QSize(56, 42)


def load_scaled(path: str, bound: QSize | None = None) -> tuple[QImage, str]:
    """(image, "") read with EXIF orientation applied and scaled to fit `bound` (None: full size), or
    (null image, why) when the file cannot be read.

    The bytes are read by `inference.files.read_bytes` (regular files only, stat first, non-blocking open,
    read deadline; any byte sequence in the name), so a FIFO or a link to /dev/zero is refused instead of
    blocking in QImageReader's open() with the GIL held; Qt only decodes the bytes in memory.
    """
    try:
        data = read_bytes(path)
        # The scanner's pixel budget first (header only): an image it refuses is not decoded here either.
        decode_plan(data, None if bound is None else (bound.height(), bound.width()), min_ratio=1.0)
    except ImageError as exc:
        return QImage(), str(exc)
    buf = QBuffer()
    buf.setData(QByteArray(data))
    buf.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buf)
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


class ImageLoader(QObject):
    """`request(key, path, bound)` decodes on a worker thread; `loaded(key, QImage, error)` when done.

    The worker is a daemon Python thread, not a QThreadPool (whose destructor waits for every running
    task): a read stuck on a dead network share can never keep the app from exiting.
    """

    loaded = Signal(int, QImage, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._signals = _Signals()
        self._signals.loaded.connect(self.loaded)
        self._queue: queue.SimpleQueue[tuple[int, int, str, QSize | None] | None] = queue.SimpleQueue()
        self._stopped = threading.Event()
        self._generation = 0  # bumped by clear(): requests queued before it are dropped
        self._thread: threading.Thread | None = None

    def request(self, key: int, path: str, bound: QSize | None = None) -> None:
        if self._stopped.is_set():
            return
        if self._thread is None:  # one thread per loader (the scan already uses the other cores)
            self._thread = threading.Thread(target=self._work, args=(self._signals, self._queue, self._stopped),
                                            name="image-loader", daemon=True)
            self._thread.start()
        self._queue.put((self._generation, key, path, None if bound is None else QSize(bound)))

    def _work(self, signals: _Signals, jobs: queue.SimpleQueue, stopped: threading.Event) -> None:
        while True:
            job = jobs.get()
            if job is None or stopped.is_set():
                return
            generation, key, path, bound = job
            if generation != self._generation:
                continue
            img, error = load_scaled(path, bound)
            if stopped.is_set():
                return
            signals.loaded.emit(key, img, error)

    def clear(self) -> None:
        """Drop the requests not started yet."""
        self._generation += 1

    def shutdown(self, timeout_ms: int = 2000) -> None:
        """Stop the worker; waits at most `timeout_ms` for a decode in progress, never for a stuck read."""
        self._stopped.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout_ms / 1000.0)
