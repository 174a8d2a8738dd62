"""One function call off the GUI thread, its answer delivered back on it.

For the clinic's work that reads files or the whole store (an outcomes CSV up to 20 MB, the clinic
report over every case): the GUI thread must stay responsive, and never runs batch file I/O. The call
gets no Qt object and must open its own database connection (sqlite3 connections never cross threads).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal


class _Answer(QObject):
    done = Signal(object)
    failed = Signal(str)


class _Call(QRunnable):
    def __init__(self, fn: Callable[[], Any], answer: _Answer) -> None:
        super().__init__()
        self.fn, self.answer = fn, answer

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # noqa: BLE001 - any failure is the user's to read, never a crash
            self.answer.failed.emit(str(exc) or type(exc).__name__)
        else:
            self.answer.done.emit(result)


class Background(QObject):
    """A small pool of its own (one thread: these calls are rare and may share a file); `wait()` on close."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._pending: set[_Answer] = set()

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None], on_failed: Callable[[str], None]) -> None:
        """Call `fn()` on the pool; `on_done(result)` or `on_failed(message)` later, on the GUI thread."""
        answer = _Answer(self)  # lives on the GUI thread: queued connections bring the answer here
        self._pending.add(answer)

        def finish(callback: Callable[[Any], None], value: Any) -> None:  # noqa: ANN401 - any result
            self._pending.discard(answer)
            answer.deleteLater()
            callback(value)

        answer.done.connect(lambda v: finish(on_done, v), Qt.ConnectionType.QueuedConnection)
        answer.failed.connect(lambda m: finish(on_failed, m), Qt.ConnectionType.QueuedConnection)
        self.pool.start(_Call(fn, answer))

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def wait(self, ms: int = 15000) -> bool:
        return self.pool.waitForDone(ms)
