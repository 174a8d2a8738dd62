"""The queue as CSV: the scan command's columns first (one contract), then the window's own columns.

Written only where the user chose; never next to the original images or into the install folder.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from cases.records import CaseRecord
from inference.result import csv_columns

EXTRA_COLUMNS = [
    "case_id", "patient_id", "review_status", "note", "top_name", "malignant_score", "priority_rule",
    "model_name", "model_version", "sha256", "width", "height", "added", "analysed",
    # issue 21: the confirmed outcome (appended, so existing readers of the columns above are unaffected)
    "outcome", "outcome_source", "outcome_confirmed_on",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Free text typed by users could start a spreadsheet formula; a leading quote keeps it text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_csv(records: Iterable[CaseRecord], path: str | Path, codes: Sequence[str] | None = None,
               outcomes: Mapping[int, tuple[str, str, str, str]] | None = None) -> int:
    """Write the scan CSV's columns for the card's class `codes` first, then EXTRA_COLUMNS. Returns rows.

    Without `codes` (no readable model card) the classes are those the stored results name. `outcomes`:
    `Store.outcomes()`, for the outcome columns (empty where a case has none)."""
    outcomes = outcomes or {}
    records = list(records)
    if codes is None:
        codes = sorted({c for r in records for c in (r.result.probabilities or {})})
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=csv_columns(codes) + EXTRA_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for rec in records:
            res = rec.result
            row = res.csv_row(codes)
            row.update(
                {
                    "case_id": rec.id,
                    "patient_id": safe_text(rec.patient_id),
                    "review_status": str(rec.review_status),
                    "note": safe_text(rec.note),
                    "top_name": res.top_name or "",
                    "malignant_score": "" if res.malignant_score is None else f"{res.malignant_score:.6f}",
                    "priority_rule": res.priority_rule,
                    "model_name": res.model_name,
                    "model_version": res.model_version,
                    "sha256": rec.sha256 or "",
                    "width": res.width or "",
                    "height": res.height or "",
                    "added": rec.added,
                    "analysed": rec.analysed,
                }
            )
            dx, source, on, _note = outcomes.get(rec.id, ("", "", "", ""))
            row.update(
                {"outcome": dx, "outcome_source": source, "outcome_confirmed_on": safe_text(on)}
            )
            writer.writerow(row)
            n += 1
    return n
