"""The scan job: one folder walker and one loop from files to stored cases, for the window and `scan`.

`collect_images` is the only place that turns dropped files and folders into a list of images (the
command line and the window list folders the same way). `ScanJob` runs `inference.runner.BatchRunner`
over them; `ScanJob.run_into_store` also writes every finished image to the case store (one transaction
each, before the row is announced, so what the queue shows is always durable) and hands records to a
listener in bursts of at most one per EMIT_S: the only throttle between the scan and the window.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cases.records import CaseRecord, Ingest
from cases.store import Store, StoreWriteError
from inference.image import is_image_path
from inference.paths import display_path
from inference.result import Result
from inference.runner import BatchRunner, ProgressCallback
from inference.session import Model
from inference.vocab import Status

# Small batches keep "Cancel" under a second on a slow laptop; this CNN gains little from bigger ones.
BATCH_SIZE = 16
DECODE_THREADS = 2
EMIT_S = 0.1  # at most one burst of records (and one progress report) per 100 ms


@dataclass(frozen=True)
class ScanItem:
    """One image to analyse: a new file (case_id None) or a re-analysis of an existing case."""

    path: str
    patient_id: str | None = None
    case_id: int | None = None
    note: str = ""


@dataclass
class ScanSummary:
    """What a finished (or cancelled) job did, for the status bar, the command line and tests."""

    total: int = 0
    processed: int = 0
    added: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped_non_images: int = 0
    unreadable_folders: list[str] = field(default_factory=list)  # sub-folders os.walk could not list
    skipped_files: list[str] = field(default_factory=list)  # the non-image files counted above
    skipped_folders: list[str] = field(default_factory=list)  # sub-folders not read (a non-recursive scan)
    ok: int = 0
    rejected: int = 0
    error: int = 0
    cancelled: bool = False
    seconds: float = 0.0
    fatal: str = ""

    @property
    def rate(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0

    def count_status(self, status: Status) -> None:
        if status == Status.OK:
            self.ok += 1
        elif status == Status.REJECTED:
            self.rejected += 1
        else:
            self.error += 1


def default_patient_id(path: str | Path, root: str | Path | None = None) -> str:
    """The case ID an image gets from where it sits: the per-patient sub-folder of the scanned `root`
    (root/P001/img.jpg and root/P001/visit2/img.jpg -> "P001"), otherwise none ("" shows as Unassigned):
    a flat folder or a Downloads folder must not make every image one patient."""
    if root is None:
        return ""
    try:
        parts = Path(path).relative_to(root).parts
    except ValueError:
        return ""
    return parts[0] if len(parts) > 1 else ""


def walk_files(folder: Path, recursive: bool = True, cancel: threading.Event | None = None,
               unreadable: list[str] | None = None, not_walked: list[str] | None = None) -> Iterator[Path]:
    """Files of `folder` (and of its sub-folders when `recursive`) in a stable order; hidden folders skipped.

    Folders that cannot be listed (permissions) are appended to `unreadable`, and the sub-folders a
    non-recursive walk leaves out to `not_walked`, so both are reported, never silently dropped."""

    def on_error(exc: OSError) -> None:
        if unreadable is not None:
            unreadable.append(str(exc.filename) if exc.filename else str(exc))

    for root, dirs, files in os.walk(folder, onerror=on_error):
        if cancel is not None and cancel.is_set():
            return
        visible = sorted(d for d in dirs if not d.startswith("."))
        if not recursive and not_walked is not None:
            not_walked += [str(Path(root) / d) for d in visible]
        dirs[:] = visible if recursive else []
        for name in sorted(files):
            yield Path(root) / name


def collect_images(sources: Iterable[str | Path], cancel: threading.Event | None = None,
                   recursive: bool = True, unreadable: list[str] | None = None,
                   skipped_files: list[str] | None = None, not_walked: list[str] | None = None
                   ) -> tuple[list[ScanItem], int]:
    """Files and folders -> image items in a stable order, plus the count of skipped files.

    The one walker of the window and `dermtriage scan` (recursive by default in both: a clinic folder
    holds one sub-folder per patient). Hidden files (`.DS_Store`) are ignored silently; any other
    non-image file is counted (and named in `skipped_files`) so the user learns that something they
    dropped was not analysed; sub-folders a non-recursive scan leaves out go to `not_walked`.
    """
    seen: set[str] = set()
    items: list[ScanItem] = []
    skipped = 0
    for src in sources:
        p = Path(src)
        files = walk_files(p, recursive, cancel, unreadable, not_walked) if p.is_dir() else [p]
        for f in files:
            if f.name.startswith("."):
                continue
            if not is_image_path(f):
                skipped += 1
                if skipped_files is not None:
                    skipped_files.append(str(f))
                continue
            key = os.path.abspath(f)
            if key not in seen:
                seen.add(key)
                items.append(ScanItem(key, default_patient_id(key, os.path.abspath(p)) if p.is_dir() else ""))
    return items, skipped


def skipped_text(summary: ScanSummary, limit: int = 3) -> str:
    """The end of `dermtriage scan`'s summary line (plain and resumable): what was not analysed, named (first
    few) and counted; "" if nothing was left out."""

    def names(paths: list[str]) -> str:
        shown = ", ".join(display_path(Path(p).name, escape=True) for p in paths[:limit])
        return shown + (f", … {len(paths) - limit} more" if len(paths) > limit else "")

    parts = []
    if summary.skipped_non_images:
        parts.append(f"{summary.skipped_non_images} non-image file(s) skipped ({names(summary.skipped_files)})")
    if summary.skipped_folders:
        parts.append(f"{len(summary.skipped_folders)} sub-folder(s) not read because of --no-recursive "
                     f"({names(summary.skipped_folders)})")
    if summary.unreadable_folders:
        parts.append(f"{len(summary.unreadable_folders)} folder(s) could not be read: " + ", ".join(
            display_path(f, escape=True) for f in summary.unreadable_folders[:5]))
    return "".join(f"; {p}" for p in parts)


class JobListener(Protocol):
    """What a job reports while it runs (the GUI's worker turns these into Qt signals)."""

    def on_listed(self, total: int, skipped: int) -> None: ...

    def on_burst(self, records: list[CaseRecord], done: int, total: int) -> None: ...


class ScanJob:
    """One scan: list the sources, run the model over them in batches, optionally store every result."""

    def __init__(self, model: Model, sources: Sequence[str | Path] = (), items: Sequence[ScanItem] = (),
                 recursive: bool = True, batch_size: int = BATCH_SIZE, decode_threads: int = DECODE_THREADS
                 ) -> None:
        self.model = model
        self.sources = list(sources)
        self.items = list(items)
        self.recursive = recursive
        self.batch_size = batch_size
        self.decode_threads = decode_threads
        self.cancel_event = threading.Event()
        self.summary = ScanSummary()

    def cancel(self) -> None:
        """Thread-safe: stops the job at its next batch."""
        self.cancel_event.set()

    def list_items(self) -> list[ScanItem]:
        items = list(self.items)
        if self.sources:
            found, self.summary.skipped_non_images = collect_images(
                self.sources, self.cancel_event, self.recursive, self.summary.unreadable_folders,
                self.summary.skipped_files, self.summary.skipped_folders)
            items += found
        self.summary.total = len(items)
        return items

    def results(self, items: Sequence[ScanItem], progress: ProgressCallback | None = None
                ) -> Iterator[tuple[ScanItem, Result]]:
        """(item, Result) for every item, in batches; stops early when cancelled."""
        by_path = {i.path: i for i in items}
        runner = BatchRunner(self.model, batch_size=self.batch_size, decode_threads=self.decode_threads)
        for res in runner.run([i.path for i in items], progress=progress, cancel=self.cancel_event,
                              total=len(items)):
            self.summary.processed += 1
            yield by_path.get(res.path) or ScanItem(res.path), res

    def run_into_store(self, db_path: Path, listener: JobListener) -> ScanSummary:
        """List, analyse and store; never raises (a fatal error ends up in `summary.fatal`)."""
        summary = self.summary
        t0 = time.perf_counter()
        store: Store | None = None
        ready: list[CaseRecord] = []
        done = [0, 0]
        reported = [0, 0]
        last_emit = 0.0

        def emit(force: bool = False) -> None:
            nonlocal ready, last_emit
            now = time.perf_counter()
            if (force or now - last_emit >= EMIT_S) and (ready or done != reported):
                last_emit = now
                batch, ready = ready, []
                reported[:] = done
                listener.on_burst(batch, done[0], done[1])

        def on_progress(n: int, total: int | None) -> None:
            done[0], done[1] = n, total or 0

        try:
            items = self.list_items()
            listing_cut = self.cancel_event.is_set()  # cancelled while walking: the list itself is partial
            listener.on_listed(summary.total, summary.skipped_non_images)
            store = Store(db_path)
            for item, res in self.results(items, progress=on_progress):
                outcome = store.ingest(res, patient_id=item.patient_id or "",
                                       case_id=item.case_id, note=item.note)
                if outcome.kind == Ingest.DUPLICATE:
                    summary.duplicates += 1
                else:
                    summary.count_status(res.status)
                    if outcome.kind == Ingest.ADDED:
                        summary.added += 1
                    else:
                        summary.updated += 1
                if outcome.record is not None:
                    ready.append(outcome.record)
                emit()
            summary.cancelled = self.cancel_event.is_set() and (listing_cut or summary.processed < summary.total)
        except StoreWriteError as exc:  # a full disk mid-scan: what happened, what is kept, what to do
            summary.fatal = (f"the results could not be saved: {exc}. The {summary.added + summary.updated} "
                             "image(s) saved before it are kept; scan again afterwards to add the rest (saved "
                             "images are recognised and skipped)")
        except Exception as exc:  # noqa: BLE001 - a broken store or model must reach the user, not kill the thread
            summary.fatal = f"{type(exc).__name__}: {exc}"
        finally:
            emit(force=True)
            if store is not None:
                store.close()
            summary.seconds = time.perf_counter() - t0
        return summary
