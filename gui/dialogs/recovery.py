"""Start-up when the data folder is not simply fine: another window has it, or the database is damaged.

`open_data_folder` runs `cases.storage.open_store` and asks a `Chooser` what to do about each problem:
the real one shows dialogs (below); tests pass their own. Nothing is ever deleted: restoring a backup or
starting fresh moves the damaged file aside (NAME.damaged-TIMESTAMP) for a technician.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cases.storage import (
    DamagedError,
    LockedError,
    Opened,
    list_backups,
    open_store,
    restore_backup,
    start_fresh,
)
from cases.store import StoreError
from cases.store_state import cannot_change_reason

QUIT, READ_ONLY, RESTORE, FRESH = "quit", "read-only", "restore", "fresh"


@dataclass
class Choice:
    action: str
    backup: Path | None = None


class Chooser(Protocol):
    def locked(self, holder: str) -> str: ...  # READ_ONLY or QUIT

    def damaged(self, db: Path, problem: str, backups: list[Path]) -> Choice: ...  # RESTORE, FRESH or QUIT


def open_data_folder(folder: Path, chooser: Chooser) -> Opened | None:
    """The store for the window, or None when the user chose to quit. StoreError for what cannot be fixed
    here (an uncreatable folder, a database from a newer app)."""
    allow_read_only = False
    for _ in range(4):  # each answer fixes one problem; a problem that comes back is said again
        try:
            return open_store(folder, allow_read_only_second=allow_read_only)
        except LockedError as exc:
            if chooser.locked(exc.holder) != READ_ONLY:
                return None
            allow_read_only = True
        except DamagedError as exc:
            if exc.health.unreadable:  # cannot be opened is not damaged: no recovery that moves it aside
                raise StoreError(exc.health.problem) from exc
            problem = exc.health.problem
            if exc.read_only:
                problem += (f". The data folder cannot be changed ({exc.read_only}), so a backup cannot be restored "
                            "and the queue cannot be started empty here; make it writable and start again")
            choice = chooser.damaged(exc.db, problem, list_backups(exc.db))
            if exc.read_only and choice.action in (RESTORE, FRESH):  # never move a file another window may hold
                raise StoreError(f"the damaged database was not set aside: the data folder cannot be changed now "
                                 f"({exc.read_only}); nothing was changed") from exc
            try:  # a folder that refuses the move (read-only mount, permissions) is said, never a crash
                if choice.action == RESTORE and choice.backup is not None:
                    restore_backup(exc.db, choice.backup)
                elif choice.action == FRESH:
                    start_fresh(exc.db)
                else:
                    return None
            except OSError as err:
                raise StoreError(f"the damaged database could not be set aside ({err.strerror or err}); nothing "
                                 f"was changed. {exc.read_only or 'Check the data folder'}") from err
    raise StoreError(f"the data folder {folder} could not be opened")


class RecoveryDialog(QDialog):
    """The damaged database: what happened, the backups (newest first), restore / start fresh / quit."""

    def __init__(self, db: Path, problem: str, backups: list[Path], parent: QWidget | None = None,
                 read_only: str = "") -> None:
        """`read_only`: why the folder cannot be changed; restore and start fresh are then disabled (both move
        the damaged file aside), and the reason is in `problem`."""
        super().__init__(parent)
        self.setWindowTitle("DermTriage: the case database is damaged")
        self.choice = Choice(QUIT)
        lay = QVBoxLayout(self)
        text = QLabel(
            f"<b>The case database cannot be used:</b> {problem}.<br><br>File: {db}<br><br>"
            "Nothing will be deleted: the damaged file is kept beside it (…damaged-DATE) for a technician.")
        text.setWordWrap(True)
        lay.addWidget(text)
        self.backups = QListWidget()
        for b in backups:
            item = QListWidgetItem(f"{b.name}  ({b.stat().st_size / 1e6:.1f} MB)")
            item.setData(0x0100, str(b))
            self.backups.addItem(item)
        if backups:
            self.backups.setCurrentRow(0)
            lay.addWidget(QLabel("Backups (one a day, the newest 7):"))
            lay.addWidget(self.backups)
        else:
            lay.addWidget(QLabel("There is no backup to restore."))
        buttons = QDialogButtonBox()
        self.restore = QPushButton("Restore selected backup")
        self.restore.setEnabled(bool(backups))
        self.fresh = QPushButton("Start with an empty queue")
        self.quit = QPushButton("Quit")
        for b, role in ((self.restore, QDialogButtonBox.ButtonRole.AcceptRole),
                        (self.fresh, QDialogButtonBox.ButtonRole.ActionRole),
                        (self.quit, QDialogButtonBox.ButtonRole.RejectRole)):
            buttons.addButton(b, role)
        if read_only:
            self.restore.setEnabled(False)
            self.fresh.setEnabled(False)
            for b in (self.restore, self.fresh):
                b.setToolTip(f"The data folder cannot be changed: {read_only}")
        self.restore.clicked.connect(self._restore)
        self.fresh.clicked.connect(lambda: self._done(Choice(FRESH)))
        self.quit.clicked.connect(lambda: self._done(Choice(QUIT)))
        lay.addWidget(buttons)

    def _restore(self) -> None:
        item = self.backups.currentItem()
        if item is not None:
            self._done(Choice(RESTORE, Path(item.data(0x0100))))

    def _done(self, choice: Choice) -> None:
        self.choice = choice
        self.accept()


class DialogChooser:
    """The real chooser: a question for a locked folder, RecoveryDialog for a damaged database."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.parent = parent

    def locked(self, holder: str) -> str:
        box = QMessageBox(QMessageBox.Icon.Warning, "DermTriage is already open",
                          "This data folder is open in another DermTriage window "
                          f"({holder}).\n\nOnly one window can change the queue. Open this one read-only "
                          "(you can look, not edit or add images)?", QMessageBox.StandardButton.NoButton,
                          self.parent)
        ro = box.addButton("Open read-only", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return READ_ONLY if box.clickedButton() is ro else QUIT

    def damaged(self, db: Path, problem: str, backups: list[Path]) -> Choice:
        dlg = RecoveryDialog(db, problem, backups, self.parent, read_only=cannot_change_reason(db.parent))
        dlg.exec()
        return dlg.choice
