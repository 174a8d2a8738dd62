"""Application start-up: names for settings, theme, the case store, the model, and the main window.

`create_main_window` is shared by `run_app`, the tests and the screenshot script, so all three start
the app the same way. A model that cannot be loaded never stops the window from opening: it shows
why and disables scanning. A database that cannot be opened does stop start-up, with a message,
because then nothing the clinician does could be kept.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from cases.store import StoreError, data_dir
from gui.dialogs.recovery import Chooser, DialogChooser, open_data_folder
from gui.icons import app_icon
from gui.main_window import MainWindow
from gui.settings import AppSettings, load_model
from gui.theme import apply_theme

ORG_NAME = "DermTriage"
APP_NAME = "DermTriage"
PROBE_ENV = "DERMTRIAGE_STARTUP_PROBE"
_IMPORTED_AT = time.perf_counter()


def _since_process_start() -> float:
    """Seconds since the OS started this process (/proc on Linux), else since this module was imported."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _IMPORTED_AT


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError, AttributeError):
        try:
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        except (ImportError, OSError):
            return 0.0


def _startup_probe(app: QApplication) -> None:
    """benchmarks/bench_package.py: report "window shown" from inside the process, then quit."""
    print(f"DERMTRIAGE_SHOWN since_start_s={_since_process_start():.3f} rss_mb={_rss_mb():.1f}", flush=True)
    app.quit()


def configure_app(app: QApplication) -> None:
    """Names decide where QSettings live; set before any QSettings is created."""
    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    app.setDesktopFileName("dermtriage")
    app.setWindowIcon(app_icon())


class StartCancelled(StoreError):
    """The user chose Quit in a start-up dialog (another window has the folder, a damaged database)."""


def create_main_window(settings: AppSettings | None = None, db_path: Path | None = None,
                       chooser: Chooser | None = None) -> MainWindow:
    """Open the data folder safely (user data folder, or DERMTRIAGE_DATA_DIR; gui/dialogs/recovery.py: the
    instance lock, the health check, backups), load the model, build the window.

    `chooser` answers "another window has this folder" and "the database is damaged" (dialogs by default).
    Problems found at start (audit log, backup) are in `window.storage_warnings`."""
    settings = settings or AppSettings(QSettings())
    folder = Path(db_path).parent if db_path else data_dir()
    opened = open_data_folder(folder, chooser or DialogChooser())
    if opened is None:
        raise StartCancelled("")
    window = MainWindow(settings, opened.store, load_model(settings, opened.store))
    window.storage_warnings = opened.warnings
    return window


def isolated_app(tmp: Path) -> QApplication:
    """A configured QApplication whose store and settings live under `tmp`, never the user's.

    For scripts that drive the real window (docs/screenshot.py, benchmarks/bench_gui.py).
    """
    os.environ["DERMTRIAGE_DATA_DIR"] = str(tmp / "data")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "settings"))
    app = QApplication([sys.argv[0]])
    configure_app(app)
    return app


def run_app(argv: list[str], paths: list[str] | None = None) -> int:
    """The window; `paths` (files or folders from the command line, "Open with", a drop on the app's
    icon) are queued once it is shown."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0], *argv])
    configure_app(app)
    settings = AppSettings(QSettings())
    apply_theme(app, settings.theme)
    try:
        window = create_main_window(settings)
    except StartCancelled:
        return 0
    except StoreError as exc:
        QMessageBox.critical(None, "DermTriage cannot start", str(exc))
        return 2
    window.show()
    if window.storage_warnings:
        QTimer.singleShot(0, lambda: QMessageBox.warning(window, "DermTriage: check the data folder",
                                                         "\n\n".join(window.storage_warnings)))
    if paths:
        QTimer.singleShot(0, lambda: window.open_paths(paths))
    if os.environ.get(PROBE_ENV) == "1":
        QTimer.singleShot(0, lambda: _startup_probe(app))
    return _event_loop(app, window)


def _event_loop(app: QApplication, window: MainWindow) -> int:
    """The event loop (a seam: tests drive the real start-up from the command line up to this point)."""
    return app.exec()
