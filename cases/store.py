"""The case store: SQLite (WAL) in the user data folder, the only durable copy of the queue.

The table model only mirrors what is here, so a crash or a restart never loses reviewed work. Each
finished image is written in its own transaction (a crash loses at most the image in flight) and every
clinician action goes into an append-only audit table. The scan worker and the GUI thread each open
their own connection: sqlite3 connections must not cross threads, and WAL lets the GUI read while the
worker writes.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from cases.audit import _AUDIT_NO_UPDATE, GENESIS, PURGED, audit_entry_hash, text_sha256, verify_audit_chain
from cases.records import (
    RESULT_COLUMNS,
    SELECT_CASES,
    CaseRecord,
    Ingest,
    IngestOutcome,
    encode_column,
    path_to_db,
    record_from_row,
)
from cases.schema import MIGRATIONS, SCHEMA_VERSION, split_sql
from cases.store_outcomes import OutcomesMixin
from cases.vocab import Review
from inference.paths import display_path
from inference.result import Result

DB_NAME = "dermtriage.sqlite3"
DATA_DIR_ENV = "DERMTRIAGE_DATA_DIR"



class _Releasable(Protocol):
    def release(self) -> None: ...


class StoreError(Exception):
    """The database cannot be opened or is from a newer version of the app."""


class StoreWriteError(StoreError):
    """A write failed (read-only folder or window, full disk, I/O error); nothing of it was stored."""


def describe_write_error(exc: BaseException) -> str:
    """sqlite3's words -> what the user can act on."""
    text = str(exc)
    low = text.lower()
    if "full" in low:
        return "the disk is full: free some space, then try again"
    if "readonly" in low or "read-only" in low:
        return "the case database or its folder is read-only: nothing can be saved"
    if "locked" in low or "busy" in low:
        return "the database is busy (another DermTriage window is writing): try again"
    if "disk i/o" in low:
        return "the disk reported an I/O error"
    return text


def data_dir() -> Path:
    """The user data folder (env override for tests and portable installs); never the install folder."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        path = Path(override)
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("DermTriage", "DermTriage"))
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the data folder {path}: {exc.strerror or exc}. Set {DATA_DIR_ENV} to a "
                         "folder you can write to.") from exc
    private(path, 0o700)
    return path


def private(path: Path, mode: int) -> None:
    """Case data is patient data: the data folder at most 0700, database files at most 0600 (only when we own
    them). Only ever removes permission bits: a user who made the folder 0500 or the database 0400 (to keep
    it from being changed) keeps that, and the store opens read-only instead of reverting their chmod."""
    if os.name != "posix":
        return
    try:
        st = path.stat()
        current = st.st_mode & 0o777
        if st.st_uid == os.getuid() and current & ~mode:
            os.chmod(path, current & mode)
    except OSError:
        pass


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (service account, odd OS): still audit the action
        return "unknown"


class Store(OutcomesMixin):
    """One connection to the case database; open one per thread."""

    def __init__(self, path: str | Path | None = None, read_only: str = "", immutable: bool = False) -> None:
        """`read_only`: why this connection must not write ("" for a normal one). A read-only store opens
        the file with mode=ro and answers every write with StoreWriteError naming that reason. `immutable`:
        the folder itself cannot be written (a read-only mount, chmod 500), so SQLite cannot create the WAL
        index (-shm) a mode=ro reader of a WAL database needs; the file is then read as immutable."""
        self.path = Path(path) if path else data_dir() / DB_NAME
        self.user = current_user()
        self.read_only = read_only
        self.lock: _Releasable | None = None  # the data folder's instance lock (cases.storage), released on close
        self.on_close: list[Callable[[], None]] = []  # run by close() before the connection goes
        try:
            if read_only:
                uri = self.path.absolute().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
                self.conn = sqlite3.connect(uri, uri=True, timeout=10.0, isolation_level=None)
            else:
                self.conn = sqlite3.connect(str(self.path), timeout=10.0, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            if not read_only:
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the case database {self.path}: {exc}") from exc
        if not read_only:
            for suffix in ("", "-wal", "-shm"):
                private(Path(f"{self.path}{suffix}"), 0o600)

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(f"the case database {self.path} was written by a newer DermTriage "
                             f"(schema {version} > {SCHEMA_VERSION}); update the app")
        if self.read_only and version < SCHEMA_VERSION:
            raise StoreError(f"the case database {self.path} needs an upgrade, which a read-only window cannot "
                             "do; open it once in a window that can write")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction() as cur:
                cur.executescript_in_tx(MIGRATIONS[target - 1])
                cur.execute(f"PRAGMA user_version = {target}")

    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception.

        A write that cannot happen (read-only window or folder, full disk, I/O error) raises StoreWriteError
        with words for the user; nothing of the transaction is kept, so the caller keeps the edit."""
        if self.read_only:
            raise StoreWriteError(f"this window is read-only ({self.read_only}): nothing can be saved")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreWriteError(describe_write_error(exc)) from exc
        try:
            yield _Tx(self.conn)
        except BaseException as exc:
            if self.conn.in_transaction:
                try:
                    self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            if isinstance(exc, sqlite3.OperationalError):
                raise StoreWriteError(describe_write_error(exc)) from exc
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                try:
                    self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise StoreWriteError(describe_write_error(exc)) from exc

    def close(self) -> None:
        """Runs the `on_close` hooks (cases.storage: the backup after the session's work) while the database
        is still open and locked, then closes it and releases the data folder's lock."""
        hooks, self.on_close = self.on_close, []
        for hook in hooks:
            try:
                hook()
            except Exception:  # noqa: BLE001 - a failed backup must not stop the window from closing
                pass
        self.conn.close()
        if self.lock is not None:
            lock, self.lock = self.lock, None
            lock.release()

    # ---- reading ---------------------------------------------------------------------------------
    def load_cases(self) -> list[CaseRecord]:
        rows = self.conn.execute(SELECT_CASES + " WHERE c.removed = 0 ORDER BY c.id").fetchall()
        return [record_from_row(r) for r in rows]

    def get_case(self, case_id: int) -> CaseRecord | None:
        row = self.conn.execute(SELECT_CASES + " WHERE c.id = ?", (case_id,)).fetchone()
        return record_from_row(row) if row else None

    def audit_log(self, case_id: int | None = None) -> list[tuple[str, str, int | None, str, str]]:
        sql = "SELECT at, user, case_id, action, detail FROM audit"
        args: tuple = ()
        if case_id is not None:
            sql, args = sql + " WHERE case_id = ?", (case_id,)
        return [tuple(r) for r in self.conn.execute(sql + " ORDER BY id", args)]

    def result_count(self, case_id: int) -> int:
        return int(
            self.conn.execute("SELECT COUNT(*) FROM results WHERE case_id = ?", (case_id,)).fetchone()[0]
        )

    # ---- writing ---------------------------------------------------------------------------------
    def _audit(self, tx: _Tx, case_id: int | None, action: str, detail: str = "") -> None:
        """Append one entry, chained to the one before (verify_audit_chain checks the chain at start)."""
        at, detail = now_iso(), display_path(detail, escape=True)
        last = tx.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        prev = last["hash"] if last is not None and last["hash"] else GENESIS
        entry_id = (last["id"] if last is not None else 0) + 1
        dsha = text_sha256(detail)
        tx.execute("INSERT INTO audit (id, at, user, case_id, action, detail, detail_sha256, prev_hash, hash) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (entry_id, at, self.user, case_id, action, detail, dsha, prev,
                    audit_entry_hash(prev, entry_id, at, self.user, case_id, action, dsha)))

    def verify_audit(self) -> list[str]:
        return verify_audit_chain(self.conn)

    def quick_check(self) -> list[str]:
        """PRAGMA quick_check: [] when the database file is sound."""
        rows = [str(r[0]) for r in self.conn.execute("PRAGMA quick_check").fetchall()]
        return [] if rows == ["ok"] else rows

    def purge_cases(self, case_ids: Iterable[int]) -> int:
        """Delete cases for real: their rows, results and notes; the details of their audit entries are
        blanked (the hash chain stays verifiable); one audit entry records the purge without patient data;
        VACUUM then rewrites the file so the deleted pages are gone. Returns the number purged.
        Backups still hold the old data until `cases.storage.refresh_backups` replaces them."""
        ids = sorted({int(c) for c in case_ids})
        if not ids:
            return 0
        marks = ", ".join("?" * len(ids))
        with self.transaction() as tx:
            n = tx.execute(f"SELECT COUNT(*) FROM cases WHERE id IN ({marks})", tuple(ids)).fetchone()[0]
            tx.execute(f"DELETE FROM results WHERE case_id IN ({marks})", tuple(ids))
            tx.execute(f"DELETE FROM outcomes WHERE case_id IN ({marks})", tuple(ids))
            tx.execute(f"DELETE FROM cases WHERE id IN ({marks})", tuple(ids))
            tx.execute("DROP TRIGGER IF EXISTS audit_no_update")
            tx.execute(f"UPDATE audit SET detail = ? WHERE case_id IN ({marks})", (PURGED, *ids))
            tx.execute(_AUDIT_NO_UPDATE)
            self._audit(tx, None, "purged", f"{n} case(s)")
        try:
            self.conn.execute("VACUUM")
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise StoreWriteError(f"the cases were deleted, but the file could not be compacted: "
                                  f"{describe_write_error(exc)}") from exc
        return int(n)

    def _insert_result(self, tx: _Tx, case_id: int, res: Result) -> None:
        names = ("case_id", "created", *RESULT_COLUMNS)
        values = (case_id, now_iso(), *(encode_column(n, getattr(res, n)) for n in RESULT_COLUMNS))
        tx.execute(f"INSERT INTO results ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)

    def ingest(self, res: Result, patient_id: str | None = None, case_id: int | None = None,
               note: str = "") -> IngestOutcome:
        """Store one finished image in one transaction; the same content is never queued twice.

        With `case_id` the result is a re-analysis of that case. Otherwise a known hash is a duplicate
        (a removed case comes back to the queue), and a file that had no readable content before (an
        error row, no hash) is retried in place rather than queued again.
        """
        path = path_to_db(str(res.path))
        patient_id = display_path(patient_id or "", escape=True)  # a folder name that is not UTF-8
        shown = display_path(str(res.path), escape=True)
        with self.transaction() as tx:
            kind = Ingest.UPDATED
            if case_id is None:
                row = None
                if res.sha256:
                    row = tx.execute(
                        "SELECT id, removed FROM cases WHERE sha256 = ?", (res.sha256,)
                    ).fetchone()
                    if row and not row["removed"]:
                        return IngestOutcome(None, Ingest.DUPLICATE)
                if row is None:
                    row = tx.execute("SELECT id, removed FROM cases WHERE sha256 IS NULL AND path = ? "
                                     "ORDER BY id DESC LIMIT 1", (path,)).fetchone()
                if row is None:
                    cur = tx.execute(
                        "INSERT INTO cases (patient_id, path, sha256, added, note) VALUES (?, ?, ?, ?, ?)",
                        (patient_id or "", path, res.sha256, now_iso(), note),
                    )
                    case_id, kind = int(cur.lastrowid), Ingest.ADDED
                    self._audit(tx, case_id, "added", shown)
                else:
                    case_id = int(row["id"])
                    if row["removed"]:
                        self._audit(tx, case_id, "re-added", shown)
                    else:
                        self._audit(tx, case_id, "retried", shown)
            else:
                self._audit(tx, case_id, "re-analysed", f"{res.model_name} {res.model_version}")
            tx.execute("UPDATE cases SET path = ?, removed = 0 WHERE id = ?", (path, case_id))
            if res.sha256:  # a retried file may now be readable; never steal another case's hash
                tx.execute("UPDATE cases SET sha256 = ? WHERE id = ? AND NOT EXISTS "
                           "(SELECT 1 FROM cases WHERE sha256 = ? AND id != ?)",
                           (res.sha256, case_id, res.sha256, case_id))
            self._insert_result(tx, case_id, res)
        return IngestOutcome(self.get_case(case_id), kind)

    def set_patient_id(self, case_id: int, patient_id: str) -> None:
        self._update(case_id, "patient_id", patient_id.strip(), "case ID set")

    def set_review_status(self, case_id: int, status: Review | str) -> None:
        review = Review.parse(status)
        if review is None:
            raise ValueError(f"unknown review status {status!r}")
        self._update(case_id, "review_status", review.value, "review status")

    def set_note(self, case_id: int, note: str) -> None:
        self._update(case_id, "note", note, "note edited", detail=f"{len(note)} characters")

    def _update(self, case_id: int, column: str, value: str, action: str, detail: str | None = None) -> None:
        with self.transaction() as tx:
            tx.execute(f"UPDATE cases SET {column} = ? WHERE id = ?", (value, case_id))
            self._audit(tx, case_id, action, value if detail is None else detail)

    def remove_cases(self, case_ids: Iterable[int]) -> None:
        with self.transaction() as tx:
            for cid in case_ids:
                tx.execute("UPDATE cases SET removed = 1 WHERE id = ?", (cid,))
                self._audit(tx, cid, "removed from queue")

    def record_export(self, case_ids: Iterable[int], what: str) -> None:
        with self.transaction() as tx:
            for cid in case_ids:
                self._audit(tx, cid, "exported", what)

    # ---- the triage policy (cases.policy decides what it means) ------------------------------------
    def policy_overrides(self) -> dict[tuple[str, str], tuple[float, float]]:
        """(model name, version) -> the clinic's (urgent, soon) in force; models following their card are absent."""
        return read_policy_overrides(self.conn)

    def set_policy(self, model_name: str, model_version: str, rule: str,
                   thresholds: tuple[float, float] | None, detail: str, method: str = "",
                   evidence: str = "") -> None:
        """Record the policy now in force for one model (None: back to the card's), audited with `detail`.
        `method` / `evidence`: how a site fit made it (empty for a clinician's own setting)."""
        urgent, soon = thresholds if thresholds is not None else (None, None)
        with self.transaction() as tx:
            tx.execute("INSERT INTO policy (model_name, model_version, rule, urgent, soon, set_at, set_by, method, "
                       "evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (model_name, model_version, rule, urgent, soon, now_iso(), self.user, method, evidence))
            self._audit(tx, None, "site policy adopted" if method else "policy changed", detail)

def read_policy_overrides(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple[float, float]]:
    """The latest policy row of every model, from any connection (`dermtriage scan` opens one read-only)."""
    rows = conn.execute(
        "SELECT p.model_name, p.model_version, p.urgent, p.soon FROM policy p WHERE p.id = "
        "(SELECT MAX(id) FROM policy q WHERE q.model_name = p.model_name AND q.model_version = p.model_version)"
    ).fetchall()
    return {(str(r[0]), str(r[1])): (float(r[2]), float(r[3])) for r in rows
            if r[2] is not None and r[3] is not None}


class _Tx:
    """A cursor-like wrapper used inside `Store.transaction` (executescript would COMMIT on its own)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, args)

    def executescript_in_tx(self, script: str) -> None:
        for stmt in split_sql(script):
            self.conn.execute(stmt)

