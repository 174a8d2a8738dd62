"""The scan worker: a QObject living on its own QThread that drives `inference.runner.BatchRunner`.

The GUI thread never lists folders, decodes images or runs the model: it hands a job to the worker and
receives signals. Each finished image is written to the store by the worker (one transaction, its own
connection) before the row is announced, so what the queue shows is always already durable.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from gui.store import CaseRecord, Store
from inference.image import is_image_path
from inference.result import Result
from inference.runner import BatchRunner
from inference.session import Model

# Small batches keep "Cancel" under a second on a slow laptop; this CNN gains little from bigger ones.
BATCH_SIZE = 16
DECODE_THREADS = 2
EMIT_S = 0.1


@dataclass(frozen=True)
class ScanItem:
    """One image to analyse: a new file (case_id None) or a re-analysis of an existing case."""

    path: str
    patient_id: str | None = None
    case_id: int | None = None
    note: str = ""


@dataclass
class ScanSummary:
    """What a finished (or cancelled) job did, for the status bar and for tests."""

    total: int = 0
    processed: int = 0
    added: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped_non_images: int = 0
    ok: int = 0
    rejected: int = 0
    error: int = 0
    cancelled: bool = False
    seconds: float = 0.0
    fatal: str = ""

    @property
    def rate(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0


def default_patient_id(path: str | Path) -> str:
    """Per-patient folders are the common layout in clinics, so the parent folder names the case."""
    return Path(path).parent.name


def _walk(folder: Path, cancel: threading.Event) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        if cancel.is_set():
            return
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            yield Path(root) / name


def collect_images(sources: Iterable[str | Path], cancel: threading.Event | None = None
                   ) -> tuple[list[ScanItem], int]:
    """Files and folders (recursive) -> image items in a stable order, plus the count of skipped files.

    Hidden files (`.DS_Store`) are ignored silently; any other non-image file is counted so the user
    learns that something they dropped was not analysed.
    """
    cancel = cancel or threading.Event()
    seen: set[str] = set()
    items: list[ScanItem] = []
    skipped = 0
    for src in sources:
        p = Path(src)
        files = _walk(p, cancel) if p.is_dir() else [p]
        for f in files:
            if f.name.startswith("."):
                continue
            if not is_image_path(f):
                skipped += 1
                continue
            key = os.path.abspath(f)
            if key not in seen:
                seen.add(key)
                items.append(ScanItem(key, default_patient_id(key)))
    return items, skipped


class ScanWorker(QObject):
    """Runs one job on the thread it is moved to. Signals are delivered queued to the GUI thread.

    `listed(total, skipped)` after folders are expanded; `casesReady(list[CaseRecord])` and
    `progress(done, total)` at most every EMIT_S (every queued signal costs the GUI thread a GIL
    hand-over, so a per-image signal would slow the window down); `finished(ScanSummary)` once, after
    the last `casesReady`.
    """

    listed = Signal(int, int)
    progress = Signal(int, int)
    casesReady = Signal(list)
    finished = Signal(object)

    def __init__(self, model: Model, db_path: Path, sources: Sequence[str | Path] = (),
                 items: Sequence[ScanItem] = ()) -> None:
        super().__init__()
        self.model = model
        self.db_path = db_path
        self.sources = list(sources)
        self.items = list(items)
        self.cancel_event = threading.Event()
        self._ready: list[CaseRecord] = []
        self._last_emit = 0.0
        self._progress: tuple[int, int] | None = None

    def cancel(self) -> None:
        """Thread-safe: may be called from the GUI thread while `run` is busy."""
        self.cancel_event.set()

    @Slot()
    def run(self) -> None:
        summary = ScanSummary()
        t0 = time.perf_counter()
        store: Store | None = None
        try:
            items = list(self.items)
            if self.sources:
                found, summary.skipped_non_images = collect_images(self.sources, self.cancel_event)
                items += found
            summary.total = len(items)
            self.listed.emit(summary.total, summary.skipped_non_images)
            store = Store(self.db_path)
            by_path = {i.path: i for i in items}
            runner = BatchRunner(self.model, batch_size=BATCH_SIZE, decode_threads=DECODE_THREADS)
            results = runner.run([i.path for i in items], progress=self._report_progress,
                                 cancel=self.cancel_event, total=summary.total)
            for res in results:
                self._store_one(store, res, by_path.get(res.path) or ScanItem(res.path), summary)
                self._emit_batch()
            summary.cancelled = self.cancel_event.is_set() and summary.processed < summary.total
        except Exception as exc:  # noqa: BLE001 - a broken store or model must reach the user, not kill the thread
            summary.fatal = f"{type(exc).__name__}: {exc}"
        finally:
            self._emit_batch(force=True)
            if store is not None:
                store.close()
            summary.seconds = time.perf_counter() - t0
            self.finished.emit(summary)

    def _report_progress(self, done: int, total: int | None) -> None:
        self._progress = (done, total or 0)

    def _emit_batch(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last_emit < EMIT_S:
            return
        self._last_emit = now
        if self._ready:
            batch, self._ready = self._ready, []
            self.casesReady.emit(batch)
        if self._progress is not None:
            self.progress.emit(*self._progress)
            self._progress = None

    def _store_one(self, store: Store, res: Result, item: ScanItem, summary: ScanSummary) -> None:
        summary.processed += 1
        outcome = store.ingest(res, patient_id=item.patient_id or default_patient_id(res.path),
                               case_id=item.case_id, note=item.note)
        if outcome.kind == "duplicate":
            summary.duplicates += 1
            return
        setattr(summary, outcome.kind, getattr(summary, outcome.kind) + 1)
        setattr(summary, res.status, getattr(summary, res.status) + 1)
        if outcome.record is not None:
            self._ready.append(outcome.record)
