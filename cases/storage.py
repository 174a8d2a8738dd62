"""Storage that fails safe: one window per data folder, a health check at start, rolling backups, recovery.

Qt-free, so the window's start-up (gui/app.py, gui/dialogs/recovery.py) and the tests share it:

- `InstanceLock`: an advisory lock file in the data folder (flock / msvcrt). A second window on the same
  folder learns who holds it and may open the queue read-only (it never writes, so the last writer can
  no longer silently replace the first one's notes).
- `check_database`: a 0-byte file, a file that is not SQLite, a failing `PRAGMA quick_check` or a newer
  schema are reported before anything is shown, instead of an empty queue or a traceback.
- `backup_now`: the SQLite online backup API (consistent while the app runs), once a day, keeping the
  newest KEEP_BACKUPS in `backups/` (0700; files 0600).
- `restore_backup` / `start_fresh`: the damaged file (and its -wal/-shm) is moved aside, never deleted.
- `open_store`: the one start-up path: folder -> lock -> health -> store (read-only when the folder is
  read-only or another window holds the lock) -> daily backup -> audit chain check.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cases.schema import SCHEMA_VERSION
from cases.store import DB_NAME, Store, StoreError, private

LOCK_NAME = "dermtriage.lock"
BACKUP_DIR = "backups"
KEEP_BACKUPS = 7
_SIDECARS = ("-wal", "-shm")


class InstanceLock:
    """At most one writing window per data folder. `acquire()` is False when another process holds it."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK_NAME
        self._fh = None
        self.problem = ""  # why the lock file itself cannot be used (acquire() False for that reason)

    def acquire(self) -> bool:
        """True when this process now holds the folder. False when another holds it, or when the lock file
        cannot be opened for writing (`problem` says why; e.g. the user made it chmod 400): the window then
        opens read-only instead of failing to start or changing the user's permissions back."""
        try:
            fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held open while the lock is held
        except OSError as exc:
            self.problem = (f"its lock file {self.path.name} cannot be opened for writing ({exc.strerror or exc}); "
                            "restore its permissions (chmod 600) to edit")
            return False
        try:
            if os.name == "nt":
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {platform.node()} since {datetime.now().isoformat(timespec='seconds')}\n")
        fh.flush()
        private(self.path, 0o600)
        self._fh = fh
        return True

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "another DermTriage window"
        except OSError:
            return "another DermTriage window"

    @property
    def held(self) -> bool:
        return self._fh is not None

    def release(self) -> None:
        if self._fh is not None:
            fh, self._fh = self._fh, None
            try:
                if os.name != "nt":
                    import fcntl

                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            finally:
                fh.close()


@dataclass
class Health:
    """What `check_database` found: ok (or a new, absent file), or damaged with the reason in words."""

    ok: bool
    problem: str = ""
    new: bool = False
    unreadable: bool = False  # could not be opened at all (permissions, mount): not known to be damaged


def _connect_ro(db: Path, immutable: bool = False) -> sqlite3.Connection:
    """Read-only. `immutable` where the folder cannot be written: a mode=ro reader of a WAL database must create
    its -shm index beside it, and on a read-only mount that fails with "unable to open database file", which
    used to be reported as a damaged database."""
    uri = db.absolute().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
    return sqlite3.connect(uri, uri=True, timeout=10.0)


def folder_read_only_reason(folder: Path) -> str:
    """Why files cannot be created in `folder`, found without writing there ("" when they can): a read-only
    mount (statvfs), or no write permission (the user's chmod, or another user's folder)."""
    try:
        if os.statvfs(folder).f_flag & getattr(os, "ST_RDONLY", 1):
            return "the data folder is on a read-only file system"
    except (OSError, AttributeError):
        pass
    if os.path.isdir(folder) and not os.access(folder, os.W_OK | os.X_OK):
        return "the data folder is not writable (its permissions)"
    return ""


def check_database(db: Path, immutable: bool = False) -> Health:
    """Look at the case database before opening it for real (read-only; changes nothing). `immutable`: the
    folder cannot be written (see `_connect_ro`)."""
    if not db.exists():
        return Health(True, new=True)
    try:
        size = db.stat().st_size
    except OSError as exc:
        return Health(False, f"the case database cannot be read: {exc.strerror or exc}")
    if size == 0:
        return Health(False, "the case database is an empty file (0 bytes): its contents were lost (disk "
                             "error, sync tool or copy gone wrong)")
    try:
        conn = _connect_ro(db, immutable)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc).lower():
            # cannot be opened is not damaged: say so, and let the caller open it read-only or report it
            return Health(False, f"the case database cannot be opened ({exc}); it may be fine: check the data "
                                 "folder's permissions and mount", unreadable=True)
        return Health(False, f"the case database is damaged or not a database ({exc})")
    if rows != ["ok"]:
        return Health(False, "the case database is damaged (PRAGMA quick_check: " + "; ".join(rows[:3]) + ")")
    if version > SCHEMA_VERSION:
        return Health(False, f"the case database was written by a newer DermTriage (schema {version} > "
                             f"{SCHEMA_VERSION}); update the app")
    if version > 0 and "cases" not in tables:
        return Health(False, "the case database has lost its tables")
    return Health(True)


def backup_dir(db: Path) -> Path:
    return db.parent / BACKUP_DIR


def list_backups(db: Path) -> list[Path]:
    """Backups of `db`, newest first."""
    d = backup_dir(db)
    return sorted(d.glob(f"{db.stem}-*.sqlite3"), reverse=True) if d.is_dir() else []


def _copy_with_backup_api(src: Path, dst: Path) -> None:
    """A consistent copy of `src` at `dst` (written to a temporary file, renamed at the end; 0600)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", dir=dst.parent)
    os.close(fd)
    try:
        source = _connect_ro(src)
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        private(Path(tmp), 0o600)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def backup_now(db: Path, keep: int = KEEP_BACKUPS, stamp: str | None = None, force: bool = False) -> Path | None:
    """Today's backup (the online backup API, safe while the app writes), unless there is one already;
    then only the newest `keep` backups are kept. Returns the new backup, or None."""
    if not db.exists() or db.stat().st_size == 0:
        return None
    d = backup_dir(db)
    d.mkdir(mode=0o700, exist_ok=True)
    private(d, 0o700)
    stamp = stamp or datetime.now(timezone.utc).strftime("%Y%m%d")
    target = d / f"{db.stem}-{stamp}.sqlite3"
    if target.exists() and not force:
        return None
    _copy_with_backup_api(db, target)
    for old in list_backups(db)[keep:]:
        old.unlink(missing_ok=True)
    return target


def backup_after_work(db: Path, since_changes: int | None = None, changes: int | None = None) -> Path | None:
    """Today's backup replaced by the database as it is now, after work (a scan finished, the window closed):
    the first start of a day used to take the day's only backup, of a queue still empty, so restoring it
    returned an empty queue. Skipped when `changes` (sqlite's total_changes) equals `since_changes`."""
    if since_changes is not None and changes == since_changes:
        return None
    try:
        return backup_now(db, force=True)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"the backup could not be written: {exc}") from exc


def refresh_backups(db: Path) -> Path | None:
    """After a purge: the old backups still hold the purged cases; replace them all with one fresh copy.
    StoreError when the copy cannot be written (the old backups are then left as they are)."""
    try:
        fresh = backup_now(db, stamp=datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S"), force=True)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"the backups could not be replaced: {exc}") from exc
    for old in list_backups(db):
        if old != fresh:
            old.unlink(missing_ok=True)
    return fresh


def set_aside(db: Path) -> Path | None:
    """Move a damaged database (and its -wal/-shm) aside as NAME.damaged-TIMESTAMP; never delete it."""
    if not db.exists():
        return None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = db.with_name(f"{db.name}.damaged-{stamp}")
    os.replace(db, aside)
    for suffix in _SIDECARS:
        side = Path(f"{db}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{aside}{suffix}"))
    return aside


def restore_backup(db: Path, backup: Path) -> Path | None:
    """Put `backup` in place of the (damaged) database; returns where the damaged file was kept."""
    if not check_database(backup).ok:
        raise StoreError(f"the backup {backup.name} is damaged too")
    aside = set_aside(db)
    _copy_with_backup_api(backup, db)
    return aside


def start_fresh(db: Path) -> Path | None:
    """An empty queue; the damaged file is kept beside it for a technician."""
    return set_aside(db)


def folder_writable(folder: Path) -> bool:
    """Whether files can be created in `folder` (tried, not guessed from the mode bits)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".write-test-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(tmp)
    return True


@dataclass
class Opened:
    """The result of `open_store`: a store (read-only or not), why it is read-only, the lock, warnings."""

    store: Store
    lock: InstanceLock | None
    read_only: str = ""
    warnings: list[str] = field(default_factory=list)
    backup: Path | None = None


class LockedError(StoreError):
    """Another window holds the data folder."""

    def __init__(self, holder: str) -> None:
        super().__init__(f"this data folder is open in another DermTriage window ({holder})")
        self.holder = holder


class DamagedError(StoreError):
    """The database failed its health check; the caller offers restore / start fresh."""

    def __init__(self, db: Path, health: Health, read_only: str = "") -> None:
        super().__init__(health.problem)
        self.db, self.health = db, health
        self.read_only = read_only  # why restore / start fresh cannot work here ("" when they can)


def open_store(folder: Path, allow_read_only_second: bool = False, lock: InstanceLock | None = None) -> Opened:
    """The one way the window opens its data folder (see the module docstring).

    Raises LockedError (another window; call again with allow_read_only_second=True to open read-only),
    DamagedError (offer restore_backup / start_fresh, then call again), or StoreError.
    """
    db = folder / DB_NAME
    read_only = folder_read_only_reason(folder) or ("" if folder_writable(folder) else "the data folder is read-only")
    immutable = bool(read_only)  # nothing can write a folder we cannot write: read the file as it is
    if not read_only and db.exists() and not os.access(db, os.W_OK):
        read_only = "the case database file is read-only (its permissions)"
    if not read_only and (lock is None or not lock.held):
        lock = lock or InstanceLock(folder)
        if not lock.acquire():
            if lock.problem:  # a lock file we cannot open: we cannot keep others out, so we do not write
                read_only = lock.problem
            elif not allow_read_only_second:
                raise LockedError(lock.holder())
            else:
                read_only = f"open in another window: {lock.holder()}"
            lock = None
    health = check_database(db, immutable=immutable)
    if not health.ok:
        raise DamagedError(db, health, read_only)
    if read_only and health.new:
        if lock is not None:
            lock.release()
        raise StoreError(f"there is no case database in {folder} yet, and {read_only}")
    if immutable and Path(f"{db}-wal").is_file() and Path(f"{db}-wal").stat().st_size > 0:
        read_only += ("; the last changes (in the -wal journal) cannot be merged in a read-only folder and are "
                      "not shown")
    store = Store(db, read_only=read_only, immutable=immutable)
    store.lock = lock  # released by store.close()
    opened = Opened(store, lock, read_only)
    if not read_only:
        try:
            opened.backup = backup_now(db)
        except (OSError, sqlite3.Error) as exc:
            opened.warnings.append(f"the daily backup could not be written: {exc}")
        at_open = store.conn.total_changes
        store.on_close.append(lambda: backup_after_work(db, at_open, store.conn.total_changes))
    opened.warnings += [f"audit log: {p}" for p in store.verify_audit()]
    return opened

