"""A queue row as stored: the case, its latest Result, and how Result fields map to columns by name."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, fields
from pathlib import Path

from cases.vocab import Review
from inference import strict_json
from inference.paths import display_path
from inference.result import Result
from inference.vocab import Priority, Status, StrEnum

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
        """The file's name as text the window can show (undecodable bytes as U+FFFD)."""
        return display_path(Path(self.path).name)

    @property
    def display_path(self) -> str:
        return display_path(self.path)


class Ingest(StrEnum):
    """What happened to one finished image: a new case, an updated one, or a duplicate left alone."""

    ADDED = "added"
    UPDATED = "updated"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class IngestOutcome:
    record: CaseRecord | None
    kind: Ingest


SELECT_CASES = (
    "SELECT c.id, c.patient_id, c.path, c.sha256, c.added, c.review_status, c.note, r.created AS analysed, "
    + ", ".join(f"r.{name}" for name in RESULT_COLUMNS)
    + " FROM cases c LEFT JOIN results r ON r.id = (SELECT MAX(id) FROM results WHERE case_id = c.id)"
)


def path_to_db(path: str) -> str | bytes:
    """A path as stored: text, or (for a name that is not valid UTF-8, surrogate-escaped by Python) the
    file system's bytes as a BLOB, so the exact file can be opened again. SQLite cannot store the
    surrogates as text (the GUI batch used to stop there)."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path)


def path_from_db(value: str | bytes) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else value


def encode_column(name: str, value: object) -> object:
    if value is None:
        return None
    if name in _JSON_COLUMNS:
        return strict_json.dumps(value)
    return str(value) if name in _ENUM_COLUMNS else value


def _decode(name: str, value: object) -> object:
    if name in _JSON_COLUMNS:
        return json.loads(str(value))
    return _ENUM_COLUMNS[name](value) if name in _ENUM_COLUMNS else value


def record_from_row(row: sqlite3.Row) -> CaseRecord:
    """A row of _SELECT -> CaseRecord, by column name; NULLs (no result yet) take Result's defaults."""
    values = {name: _decode(name, row[name]) for name in RESULT_COLUMNS if row[name] is not None}
    values.setdefault("status", Status.ERROR)
    path = path_from_db(row["path"])
    result = Result(path=path, sha256=row["sha256"], **values)
    return CaseRecord(id=row["id"], patient_id=row["patient_id"], path=path, sha256=row["sha256"],
                      added=row["added"], result=result, review_status=Review.parse(row["review_status"])
                      or Review.NEW, note=row["note"], analysed=row["analysed"] or "")
