"""Owns the scan thread: starts jobs one at a time, passes result bursts on, computes throughput and ETA.

Results are not inserted into the table one by one: the job hands them over in bursts at most every
`cases.job.EMIT_S` (the one throttle), so a 10,000-image scan costs the event loop a few hundred short
insertions instead of 10,000 layout passes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from cases.job import ScanItem, ScanSummary
from gui.workers import ScanWorker
from inference.session import Model


class ScanController(QObject):
    """`started()`, `casesReady(list[CaseRecord])`, `progressChanged(done, total, rate, eta_s)`,
    `listed(total, skipped)`, `finished(ScanSummary)`."""

    started = Signal()
    listed = Signal(int, int)
    casesReady = Signal(list)
    progressChanged = Signal(int, int, float, float)
    finished = Signal(object)

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.model: Model | None = None
        self._thread: QThread | None = None
        self._worker: ScanWorker | None = None
        self._pending: list[tuple[list[str | Path], list[ScanItem]]] = []
        self._t0 = 0.0
        self.last_rate = 0.0
        self.last_summary: ScanSummary | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def set_model(self, model: Model | None) -> None:
        self.model = model

    def start(self, sources: Sequence[str | Path] = (), items: Sequence[ScanItem] = ()) -> bool:
        """Queue a job (files/folders and/or explicit items); returns False when no model is loaded."""
        if self.model is None:
            return False
        self._pending.append((list(sources), list(items)))
        if not self.busy:
            self._start_next()
        return True

    def cancel(self) -> None:
        """Stop the running job at its next batch and drop the jobs waiting behind it."""
        self._pending.clear()
        if self._worker is not None:
            self._worker.cancel()

    def _start_next(self) -> None:
        if not self._pending or self.model is None:
            return
        sources, items = self._pending.pop(0)
        thread = QThread(self)
        thread.setObjectName("scan")
        worker = ScanWorker(self.model, self.db_path, sources, items)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.listed.connect(self.listed)
        worker.progress.connect(self._on_progress)
        worker.casesReady.connect(self.casesReady)
        worker.finished.connect(self._on_finished)
        thread.finished.connect(worker.deleteLater)
        self._thread, self._worker = thread, worker
        self._t0 = time.perf_counter()
        self.started.emit()
        thread.start()

    def _on_progress(self, done: int, total: int) -> None:
        elapsed = max(time.perf_counter() - self._t0, 1e-6)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 and total else -1.0
        self.progressChanged.emit(done, total, rate, eta)

    def _on_finished(self, summary: ScanSummary) -> None:
        thread = self._thread
        self._thread, self._worker = None, None
        if thread is not None:
            thread.quit()  # run() has returned; stop the thread's event loop (thread-safe call)
            thread.wait(5000)
            thread.deleteLater()
        if summary.processed:
            self.last_rate = summary.rate
        self.last_summary = summary
        if self._pending:
            self._start_next()
        self.finished.emit(summary)

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel and wait (window closing): the worker must not outlive the store or the model."""
        self.cancel()
        thread = self._thread
        if thread is not None:
            thread.quit()
            thread.wait(timeout_ms)
