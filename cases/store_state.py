"""The state of a data folder's case store, said without creating, locking or changing anything (issue 23):
for `scan` and `--selftest`, and for the window's recovery dialog, which must not offer to move a database
aside that cannot be changed here (a read-only folder, another window holding it, a lock file it cannot open).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cases.storage import LOCK_NAME, InstanceLock, check_database, folder_read_only_reason
from cases.store import DB_NAME


@dataclass
class StoreState:
    """What the case store in a data folder is, said without creating, locking or changing anything (for the
    command line): "writable", "read-only" (reason), "damaged" (problem) or "none" (no database yet)."""

    kind: str
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}" if self.reason else self.kind


def store_state(folder: Path) -> StoreState:
    db = folder / DB_NAME
    if not db.exists():
        return StoreState("none", f"no case database in {folder} yet")
    reason = folder_read_only_reason(folder)
    health = check_database(db, immutable=bool(reason))
    if not health.ok:
        return StoreState("read-only" if health.unreadable else "damaged", health.problem)
    if not reason and not os.access(db, os.W_OK):
        reason = "the case database file is read-only (its permissions)"
    if not reason:
        holder = _lock_holder(folder)
        if holder:
            reason = f"open in another window: {holder}"
    return StoreState("read-only", reason) if reason else StoreState("writable")


def _lock_holder(folder: Path) -> str:
    """Who holds the folder's lock ("" when nobody), tried on the existing lock file only (never created)."""
    path = folder / LOCK_NAME
    if os.name == "nt" or not path.is_file():
        return ""
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return ""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return ""
    except OSError:
        return InstanceLock(folder).holder()
    finally:
        os.close(fd)


def cannot_change_reason(folder: Path) -> str:
    """Why the files in `folder` must not be moved or replaced now ("" when they may): the folder cannot be
    written, another window holds its lock, or its lock file cannot be opened for writing."""
    reason = folder_read_only_reason(folder)
    if reason:
        return reason
    holder = _lock_holder(folder)
    if holder:
        return f"open in another window: {holder}"
    lock = folder / LOCK_NAME
    if lock.exists() and not os.access(lock, os.W_OK):
        return f"its lock file {LOCK_NAME} cannot be opened for writing"
    return ""
