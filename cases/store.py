"""The case store: SQLite (WAL) in the user data folder, the only durable copy of the queue.

The table model only mirrors what is here, so a crash or a restart never loses reviewed work. Each
finished image is written in its own transaction (a crash loses at most the image in flight) and every
clinician action goes into an append-only audit table. The scan worker and the GUI thread each open
their own connection: sqlite3 connections must not cross threads, and WAL lets the GUI read while the
worker writes.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path

from cases.vocab import Review
from inference.result import Result
from inference.vocab import Priority, Status, StrEnum

DB_NAME = "dermtriage.sqlite3"
DATA_DIR_ENV = "DERMTRIAGE_DATA_DIR"

# Each entry upgrades the schema by one version; never edit a shipped entry, append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE cases (
        id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL DEFAULT '',
        path TEXT NOT NULL,
        sha256 TEXT UNIQUE,
        added TEXT NOT NULL,
        review_status TEXT NOT NULL DEFAULT 'new',
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX cases_path ON cases(path);
    CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        model_name TEXT NOT NULL,
        model_version TEXT NOT NULL,
        status TEXT NOT NULL,
        probabilities TEXT,
        top_class TEXT,
        top_name TEXT,
        malignant_score REAL,
        priority TEXT,
        priority_rule TEXT NOT NULL DEFAULT '',
        quality TEXT NOT NULL DEFAULT '{}',
        warnings TEXT NOT NULL DEFAULT '[]',
        message TEXT NOT NULL DEFAULT '',
        width INTEGER,
        height INTEGER,
        decode_ms REAL,
        preprocess_ms REAL,
        inference_ms REAL,
        created TEXT NOT NULL
    );
    CREATE INDEX results_case ON results(case_id);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        user TEXT NOT NULL,
        case_id INTEGER,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    """,
    # v2: cases can leave the queue without losing their history (the audit log keeps pointing at them).
    "ALTER TABLE cases ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;",
    # v3: the predicted class's activation map (JSON rows), for the viewer's "where the model looked".
    "ALTER TABLE results ADD COLUMN attention TEXT;",
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """The database cannot be opened or is from a newer version of the app."""


def data_dir() -> Path:
    """The user data folder (env override for tests and portable installs); never the install folder."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        path = Path(override)
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("DermTriage", "DermTriage"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (service account, odd OS): still audit the action
        return "unknown"


# Result fields kept in the results table (path and sha256 belong to the case), and how their values
# are stored: JSON text for containers, the plain value otherwise. Rows are mapped by column name, so a
# field added to Result needs a migration adding its column and nothing else.
RESULT_COLUMNS = tuple(f.name for f in fields(Result) if f.name not in ("path", "sha256"))
_JSON_COLUMNS = frozenset({"probabilities", "quality", "warnings", "attention"})
_ENUM_COLUMNS = {"status": Status, "priority": Priority}


@dataclass
class CaseRecord:
    """One queue row: the case (who, which file, the clinician's review and note) and its latest Result."""

    id: int
    patient_id: str
    path: str
    sha256: str | None
    added: str
    result: Result
    review_status: Review = Review.NEW
    note: str = ""
    analysed: str = ""  # when the latest result was stored

    @property
    def file_name(self) -> str:
        return Path(self.path).name


class Ingest(StrEnum):
    """What happened to one finished image: a new case, an updated one, or a duplicate left alone."""

    ADDED = "added"
    UPDATED = "updated"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class IngestOutcome:
    record: CaseRecord | None
    kind: Ingest


_SELECT = (
    "SELECT c.id, c.patient_id, c.path, c.sha256, c.added, c.review_status, c.note, r.created AS analysed, "
    + ", ".join(f"r.{name}" for name in RESULT_COLUMNS)
    + " FROM cases c LEFT JOIN results r ON r.id = (SELECT MAX(id) FROM results WHERE case_id = c.id)"
)


def _encode(name: str, value: object) -> object:
    if value is None:
        return None
    if name in _JSON_COLUMNS:
        return json.dumps(value)
    return str(value) if name in _ENUM_COLUMNS else value


def _decode(name: str, value: object) -> object:
    if name in _JSON_COLUMNS:
        return json.loads(str(value))
    return _ENUM_COLUMNS[name](value) if name in _ENUM_COLUMNS else value


def _record(row: sqlite3.Row) -> CaseRecord:
    """A row of _SELECT -> CaseRecord, by column name; NULLs (no result yet) take Result's defaults."""
    values = {name: _decode(name, row[name]) for name in RESULT_COLUMNS if row[name] is not None}
    values.setdefault("status", Status.ERROR)
    result = Result(path=row["path"], sha256=row["sha256"], **values)
    return CaseRecord(id=row["id"], patient_id=row["patient_id"], path=row["path"], sha256=row["sha256"],
                      added=row["added"], result=result, review_status=Review.parse(row["review_status"])
                      or Review.NEW, note=row["note"], analysed=row["analysed"] or "")


class Store:
    """One connection to the case database; open one per thread."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else data_dir() / DB_NAME
        self.user = current_user()
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=10.0, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the case database {self.path}: {exc}") from exc

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(f"the case database {self.path} was written by a newer DermTriage "
                             f"(schema {version} > {SCHEMA_VERSION}); update the app")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction() as cur:
                cur.executescript_in_tx(MIGRATIONS[target - 1])
                cur.execute(f"PRAGMA user_version = {target}")

    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield _Tx(self.conn)
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    # ---- reading ---------------------------------------------------------------------------------
    def load_cases(self) -> list[CaseRecord]:
        rows = self.conn.execute(_SELECT + " WHERE c.removed = 0 ORDER BY c.id").fetchall()
        return [_record(r) for r in rows]

    def get_case(self, case_id: int) -> CaseRecord | None:
        row = self.conn.execute(_SELECT + " WHERE c.id = ?", (case_id,)).fetchone()
        return _record(row) if row else None

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
        tx.execute("INSERT INTO audit (at, user, case_id, action, detail) VALUES (?, ?, ?, ?, ?)",
                   (now_iso(), self.user, case_id, action, detail))

    def _insert_result(self, tx: _Tx, case_id: int, res: Result) -> None:
        names = ("case_id", "created", *RESULT_COLUMNS)
        values = (case_id, now_iso(), *(_encode(n, getattr(res, n)) for n in RESULT_COLUMNS))
        tx.execute(f"INSERT INTO results ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)

    def ingest(self, res: Result, patient_id: str | None = None, case_id: int | None = None,
               note: str = "") -> IngestOutcome:
        """Store one finished image in one transaction; the same content is never queued twice.

        With `case_id` the result is a re-analysis of that case. Otherwise a known hash is a duplicate
        (a removed case comes back to the queue), and a file that had no readable content before (an
        error row, no hash) is retried in place rather than queued again.
        """
        path = str(res.path)
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
                    self._audit(tx, case_id, "added", path)
                else:
                    case_id = int(row["id"])
                    if row["removed"]:
                        self._audit(tx, case_id, "re-added", path)
                    else:
                        self._audit(tx, case_id, "retried", path)
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


class _Tx:
    """A cursor-like wrapper used inside `Store.transaction` (executescript would COMMIT on its own)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, args)

    def executescript_in_tx(self, script: str) -> None:
        for stmt in _split_sql(script):
            self.conn.execute(stmt)


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN ... END;) whole."""
    out, buf = [], ""
    for part in script.split(";"):
        buf += part + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n;"):
                out.append(buf.strip())
            buf = ""
    return out
