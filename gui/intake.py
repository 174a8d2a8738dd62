"""Getting images in: file dialogs, drops and the bundled samples become scan jobs; the scan reports back.

Every command that takes paths also accepts them as arguments, so tests and scripts run the real code
without a file dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, QStandardPaths
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from cases.job import ScanItem, ScanSummary
from cases.recent import RECENT_MAX, RecentFolders
from cases.samples import Sample, attribution_text, sample_items
from cases.storage import backup_after_work
from cases.store import StoreError
from gui.scan_controller import ScanController
from gui.settings import AppSettings
from gui.widgets import ScanProgress
from inference.image import IMAGE_SUFFIXES
from inference.session import Model

IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES)) + ");;All files (*)"


def local_paths(mime: QMimeData) -> list[str]:
    """The local files and folders in a drag."""
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


class Intake(QObject):
    """Turns the user's gestures into scan jobs and shows how the scan goes (progress, status bar)."""

    def __init__(self, window: QMainWindow, controller: ScanController, settings: AppSettings,
                 progress: ScanProgress, cancel_action: QAction, model: Callable[[], Model | None],
                 samples: list[Sample]) -> None:
        super().__init__(window)
        self.window, self.controller, self.settings = window, controller, settings
        self._migrated = False
        self.progress, self.cancel_action, self.model, self.samples = progress, cancel_action, model, samples
        controller.started.connect(self._started)
        controller.listed.connect(self._listed)
        controller.progressChanged.connect(progress.update_progress)
        controller.finished.connect(self._finished)
        progress.cancelRequested.connect(controller.cancel)

    def _status(self, text: str, ms: int) -> None:
        self.window.statusBar().showMessage(text, ms)

    # ---- commands ----------------------------------------------------------------------------------
    def start_scan(self, sources: list[str | Path] | None = None, items: list[ScanItem] | None = None) -> bool:
        """Queue files/folders (or explicit items) for analysis; False when no model is loaded."""
        if self.model() is None:
            self._status("No model is loaded: images cannot be analysed.", 8000)
            return False
        read_only = getattr(self.controller, "read_only", "")
        if read_only:
            self._status(f"This window is read-only ({read_only}): images cannot be added.", 15000)
            return False
        if sources:
            self.remember(list(sources))
        return self.controller.start(sources or [], items or [])

    @property
    def recent(self) -> RecentFolders:
        """Recent folders and the last folder, in the private data folder (cases/recent.py), read afresh each
        time (a purge clears the file); moved there once from the per-user settings, which a purge does not
        reach."""
        store = getattr(self.window, "store", None)
        rec = RecentFolders(store.path.parent if store is not None else Path("."))
        if not self._migrated:
            self._migrated = True
            qs = self.settings.qs
            old = qs.value(AppSettings.RECENT, [])
            old_list = [old] if isinstance(old, str) else [str(v) for v in (old or []) if v]
            old_last = str(qs.value(AppSettings.LAST_DIR, "") or "")
            if old_list or old_last:
                rec.last_dir = rec.last_dir or old_last
                rec.recent = (rec.recent + [f for f in old_list if f not in rec.recent])[:RECENT_MAX]
                if rec.save():  # only once they are safe in the data folder (a read-only one keeps them)
                    qs.remove(AppSettings.RECENT)
                    qs.remove(AppSettings.LAST_DIR)
        return rec

    def _start_dir(self) -> str:
        d = self.recent.last_dir
        if d and Path(d).is_dir():
            return d
        return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)

    def open_images(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self.window, "Open images", self._start_dir(), IMAGE_FILTER)
        if files:
            self.recent.set_last_dir(str(Path(files[0]).parent))
            self.start_scan(files)

    def scan_folder(self, folder: str | Path | None = None) -> bool:
        """Scan `folder`, or ask for one. Anything but a path (a stray `checked` bool from a signal) asks:
        the command must never do nothing silently."""
        if not isinstance(folder, (str, Path)):
            folder = QFileDialog.getExistingDirectory(self.window, "Scan folder (sub-folders too)", self._start_dir())
        if not folder:
            return False
        self.recent.set_last_dir(folder)
        return self.start_scan([folder])

    # ---- recent folders (File > Recent folders) ----------------------------------------------------
    def recent_folders(self) -> list[str]:
        return list(self.recent.recent)

    def remember(self, sources: list[str | Path]) -> None:
        """Folders scanned (and the folders of files opened) go to the top of the recent list."""
        self.recent.remember([str(Path(s) if Path(s).is_dir() else Path(s).parent) for s in sources])

    def open_samples(self) -> None:
        model = self.model()
        if self.samples and model is not None:
            names = {c.code: c.name for c in model.card.classes}
            self.start_scan(items=sample_items(self.samples, names))
            self._status(f"Sample images: {attribution_text(self.samples)}", 10000)

    # ---- scan feedback -----------------------------------------------------------------------------
    def _started(self) -> None:
        self.progress.start()
        self.cancel_action.setEnabled(True)

    def _listed(self, total: int, skipped: int) -> None:
        self.progress.set_total(total)
        if skipped:
            self._status(f"{skipped} file(s) skipped: not images", 8000)

    def _finished(self, summary: ScanSummary) -> None:
        if self.controller.busy:
            return  # the next queued job has already started
        self.progress.finish()
        self.cancel_action.setEnabled(False)
        if summary.fatal:
            QMessageBox.critical(self.window, "Scan stopped", f"The scan stopped on an error:\n{summary.fatal}")
            return
        store = getattr(self.window, "store", None)
        if store is not None and not store.read_only and (summary.added or summary.updated):
            try:  # a backup after the work, not only the day's first (empty) one
                backup_after_work(store.path)
            except StoreError as exc:
                self._status(f"After the scan: {exc}", 15000)
        parts = [f"{summary.processed} of {summary.total} analysed"]
        if summary.processed:
            parts.append(f"{summary.ok} ok, {summary.rejected} cannot assess, {summary.error} errors")
        if summary.duplicates:
            parts.append(f"{summary.duplicates} already in the queue")
        if summary.skipped_non_images:
            parts.append(f"{summary.skipped_non_images} non-image file(s) skipped")
        parts.append(f"{summary.seconds:.1f} s, {summary.rate:.0f} images/s")
        head = "Scan cancelled" if summary.cancelled else "Scan finished"
        self._status(f"{head}: " + "; ".join(parts), 15000)
