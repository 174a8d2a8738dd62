"""Confirmed outcomes: the vocabulary, and the bulk import from the CSV a pathology system gives (Qt-free).

An outcome is what the lesion turned out to be, not what the model said; the clinic's own figures and
its operating point rest on nothing else, so an import either matches every row to exactly one case
with a known diagnosis or imports nothing and lists what is wrong.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cases.site import BENIGN, MALIGNANT
from inference.errors import NamedFileError
from inference.files import read_named_file

SOURCES = ("histopathology", "clinical follow-up", "expert consensus")
UNSPECIFIED = "unspecified"
MAX_OUTCOMES_BYTES = 20 * 1024 * 1024  # a spreadsheet of outcomes; anything bigger is not one
READ_TIMEOUT_S = 10.0


class OutcomeFileError(ValueError):
    """An outcomes CSV that cannot be read at all (not a file, too big, not CSV, no diagnosis column)."""


def diagnosis_codes(class_codes: Sequence[str]) -> tuple[str, ...]:
    """The diagnoses an outcome may carry: the card's class codes, or only benign / malignant."""
    return (*class_codes, BENIGN, MALIGNANT)


def normalise_diagnosis(text: str, class_codes: Sequence[str]) -> str | None:
    d = text.strip().lower()
    return d if d in diagnosis_codes(class_codes) else None


def normalise_source(text: str) -> str | None:
    s = " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())
    if not s:
        return UNSPECIFIED
    aliases = {"histopathology": "histopathology", "histology": "histopathology", "histo": "histopathology",
               "clinical follow up": "clinical follow-up", "follow up": "clinical follow-up",
               "followup": "clinical follow-up", "expert consensus": "expert consensus",
               "consensus": "expert consensus", UNSPECIFIED: UNSPECIFIED}
    return aliases.get(s)


@dataclass(frozen=True)
class Outcome:
    diagnosis: str
    source: str = UNSPECIFIED
    confirmed_on: str = ""
    note: str = ""

    def words(self) -> str:
        extra = ", ".join(x for x in (self.source, self.confirmed_on) if x)
        return f"{self.diagnosis} ({extra})" if extra else self.diagnosis


def read_csv_rows(path: str | Path, max_bytes: int = MAX_OUTCOMES_BYTES,
                  what: str = "CSV file") -> list[dict[str, str]]:
    """Rows of a CSV a user named, through the one guarded path for named files (regular file, size and time
    bounds: a bigger file is refused before it is read), with lower-cased, stripped column names; a BOM from
    a spreadsheet is dropped."""
    try:
        data = read_named_file(path, what, max_bytes=max_bytes, timeout_s=READ_TIMEOUT_S)
    except NamedFileError as exc:
        raise OutcomeFileError(str(exc)) from exc
    except OSError as exc:
        raise OutcomeFileError(f"{path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if "\x00" in text:
        raise OutcomeFileError(f"{path} is not a text CSV file")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = [{(k or "").strip().lower(): (v or "").strip() if isinstance(v, str) else ""
                 for k, v in r.items()} for r in reader]
    except csv.Error as exc:
        raise OutcomeFileError(f"{path} is not a readable CSV file: {exc}") from exc
    return rows


@dataclass(frozen=True)
class CaseKey:
    """What an outcome row can be matched by: the image's content hash, its path, case ID + file name."""

    case_id: int
    sha256: str | None
    path: str
    patient_id: str
    file_name: str


@dataclass
class ImportPlan:
    """What an import would do: every matched row, or the problems that stop it (nothing half-imported)."""

    matches: dict[int, Outcome] = field(default_factory=dict)  # case id -> outcome
    matched_by: dict[str, int] = field(default_factory=dict)  # sha256 / path / case ID + file name -> count
    unchanged: int = 0  # rows that repeat the outcome a case already has
    unknown: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return ([f"unknown diagnosis or source: {x}" for x in self.unknown]
                + [f"matches no case: {x}" for x in self.unmatched]
                + [f"duplicate: {x}" for x in self.duplicates]
                + [f"conflict: {x}" for x in self.conflicts])

    @property
    def ok(self) -> bool:
        return not self.problems


def plan_import(rows: Iterable[dict[str, str]], cases: Sequence[CaseKey], existing: dict[int, Outcome],
                class_codes: Sequence[str], replace: bool = False) -> ImportPlan:
    """Match each row to one case: by `sha256`, else `path`, else `case_id` (the window's Case ID) plus
    `file` / `file_name`. Unknown codes, rows that match nothing, a case named twice and a row that
    disagrees with a stored outcome (unless `replace`) are problems; any problem stops the whole import."""
    by_sha = {c.sha256.lower(): c for c in cases if c.sha256}
    by_path: dict[str, list[CaseKey]] = {}
    by_id_name: dict[tuple[str, str], list[CaseKey]] = {}
    for c in cases:
        by_path.setdefault(c.path, []).append(c)
        by_id_name.setdefault((c.patient_id.strip().lower(), c.file_name.lower()), []).append(c)
    plan = ImportPlan()
    seen: dict[int, int] = {}
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        where = f"line {line}"
        if not any(row.values()):
            continue
        dx = normalise_diagnosis(row.get("diagnosis", ""), class_codes)
        source = normalise_source(row.get("source", ""))
        if dx is None or source is None:
            bad = row.get("diagnosis", "") if dx is None else row.get("source", "")
            plan.unknown.append(f"{where}: {bad!r} (diagnoses: {', '.join(diagnosis_codes(class_codes))}; "
                                f"sources: {', '.join(SOURCES)})")
            continue
        case, how = None, ""
        sha = row.get("sha256", "").lower()
        if sha:
            case, how = by_sha.get(sha), "sha256"
        elif row.get("path"):
            hits = by_path.get(row["path"], [])
            case, how = (hits[0] if len(hits) == 1 else None), "path"
            if len(hits) > 1:
                plan.duplicates.append(f"{where}: path {row['path']} names {len(hits)} cases")
                continue
        elif row.get("case_id") and (row.get("file") or row.get("file_name")):
            key = (row["case_id"].strip().lower(), (row.get("file") or row.get("file_name", "")).lower())
            hits = by_id_name.get(key, [])
            case, how = (hits[0] if len(hits) == 1 else None), "case ID + file name"
            if len(hits) > 1:
                plan.duplicates.append(f"{where}: case ID {row['case_id']} + {key[1]} names {len(hits)} cases")
                continue
        if case is None:
            name = row.get("file") or row.get("file_name", "")
            ident = sha or row.get("path") or (f"{row.get('case_id', '')} / {name}" if name else "")
            plan.unmatched.append(f"{where}: {ident or 'no sha256, path or case_id + file column'}")
            continue
        if case.case_id in seen:
            plan.duplicates.append(f"{where}: the same case as line {seen[case.case_id]} ({case.file_name})")
            continue
        seen[case.case_id] = line
        outcome = Outcome(dx, source, row.get("date", "") or row.get("confirmed_on", ""), row.get("note", ""))
        old = existing.get(case.case_id)
        if old is not None and old.diagnosis == outcome.diagnosis:
            plan.unchanged += 1
            continue
        if old is not None and not replace:
            plan.conflicts.append(f"{where}: {case.file_name} already has {old.words()}, the file says {dx}")
            continue
        plan.matches[case.case_id] = outcome
        plan.matched_by[how] = plan.matched_by.get(how, 0) + 1
    return plan
