"""The scan worker: a QObject living on its own QThread around one `cases.job.ScanJob`.

The GUI thread never lists folders, decodes images or runs the model: it hands a job to the worker and
receives signals. The job writes each finished image to the store (its own connection) before the row
is announced, and reports in bursts at most every `cases.job.EMIT_S` (every queued signal costs the GUI
thread a GIL hand-over, so a per-image signal would slow the window down).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from cases.job import ScanItem, ScanJob
from cases.records import CaseRecord
from inference.session import Model


class ScanWorker(QObject):
    """Runs one job on the thread it is moved to. Signals are delivered queued to the GUI thread.

    `listed(total, skipped)` after folders are expanded; `casesReady(list[CaseRecord])` and
    `progress(done, total)` in bursts; `finished(ScanSummary)` once, after the last `casesReady`.
    """

    listed = Signal(int, int)
    progress = Signal(int, int)
    casesReady = Signal(list)
    finished = Signal(object)

    def __init__(self, model: Model, db_path: Path, sources: Sequence[str | Path] = (),
                 items: Sequence[ScanItem] = ()) -> None:
        super().__init__()
        self.db_path = db_path
        self.job = ScanJob(model, sources, items)
        self._last_progress = (-1, -1)

    def cancel(self) -> None:
        """Thread-safe: may be called from the GUI thread while `run` is busy."""
        self.job.cancel()

    @Slot()
    def run(self) -> None:
        self.finished.emit(self.job.run_into_store(self.db_path, self))

    # ---- cases.job.JobListener (called on the worker's thread; signals carry it to the GUI thread) ---
    def on_listed(self, total: int, skipped: int) -> None:
        self.listed.emit(total, skipped)

    def on_burst(self, records: list[CaseRecord], done: int, total: int) -> None:
        if records:
            self.casesReady.emit(records)
        if (done, total) != self._last_progress and total:
            self._last_progress = (done, total)
            self.progress.emit(done, total)
