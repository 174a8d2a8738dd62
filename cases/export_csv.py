"""The queue as CSV: the scan command's columns first, with the same names and order for the same facts (one
vocabulary: path ... message, then model, model_version, policy, sha256, model_binding), then the window's own
columns (`case_id` is what the window calls Case ID; `case_number` the database's internal number).

Written only where the user chose; never next to the original images or into the install folder.
"""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from cases.records import CaseRecord
from cases.rows import EXTRA_COLUMNS as SCAN_COLUMNS
from cases.rows import policy_label
from inference.paths import display_path
from inference.referral import Thresholds
from inference.result import csv_columns
from inference.shipped import result_binding

# What only the window knows, after the scan's columns (issue 22: one vocabulary with `dermtriage scan`).
WINDOW_COLUMNS = [
    "case_id", "case_number", "review_status", "note", "top_name", "malignant_score", "priority_rule",
    "width", "height", "added", "analysed",
    "outcome", "outcome_source", "outcome_confirmed_on",  # issue 21: the confirmed outcome
]
EXTRA_COLUMNS = [*SCAN_COLUMNS, *WINDOW_COLUMNS]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_target_problem(path: str | Path, originals: Iterable[str] = ()) -> str:
    """Why the window must not write an export (CSV, PDF, policy file) to `path`, or "" (issue 23: every file
    a user names goes through one guard). A save dialog lets the user pick any file and confirms a
    replacement, but it cannot know that a FIFO would block the window for ever (open() waits for a reader),
    that a device is not a file, or that the file picked is one of the queue's original images, which the
    app promises never to modify."""
    p = os.fspath(path)
    if not os.path.lexists(p):
        return ""
    try:
        st = os.stat(p)
    except OSError as exc:
        return f"{display_path(p)} cannot be replaced: {exc.strerror or exc}"
    if stat.S_ISDIR(st.st_mode):
        return f"{display_path(p)} is a folder; give a file name"
    if not stat.S_ISREG(st.st_mode):
        return f"{display_path(p)} is not a regular file (a pipe or a device): nothing was written"
    for original in originals:
        try:
            other = os.stat(original)
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            return (f"{display_path(p)} is one of the original images in the queue: originals are never "
                    "overwritten. Choose another file name")
    return ""


def safe_text(value: str) -> str:
    """Free text typed by users could start a spreadsheet formula; a leading quote keeps it text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_csv(records: Iterable[CaseRecord], path: str | Path, codes: Sequence[str] | None = None,
               outcomes: Mapping[int, tuple[str, str, str, str]] | None = None,
               current_model: object | None = None,
               thresholds: Callable[[str, str], Thresholds | None] | None = None) -> int:
    """Write the scan CSV's columns for the card's class `codes` first, then EXTRA_COLUMNS. Returns rows.

    Without `codes` (no readable model card) the classes are those the stored results name. `outcomes`:
    `Store.outcomes()`, for the outcome columns (empty where a case has none). `current_model` (the loaded
    Model) tells a custom model's bound results from unbound ones in `model_binding`. `thresholds`
    (TriagePolicy.thresholds): the policy in force for a model version, written as `scan` writes it."""
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
            thr = thresholds(res.model_name, res.model_version) if thresholds is not None else None
            row = res.csv_row(codes)
            row.update(
                {
                    "case_id": safe_text(rec.patient_id),
                    "case_number": rec.id,
                    "review_status": str(rec.review_status),
                    "note": safe_text(rec.note),
                    "top_name": res.top_name or "",
                    "malignant_score": "" if res.malignant_score is None else f"{res.malignant_score:.6f}",
                    "priority_rule": res.priority_rule,
                    "model": res.model_name,
                    "model_version": res.model_version,
                    "policy": policy_label(thr) if thr is not None else "",
                    "sha256": rec.sha256 or "",
                    "width": res.width or "",
                    "height": res.height or "",
                    "added": rec.added,
                    "analysed": rec.analysed,
                    "model_binding": result_binding(res.model_name, res.model_version, current_model),
                }
            )
            dx, source, on, _note = outcomes.get(rec.id, ("", "", "", ""))
            row.update(
                {"outcome": dx, "outcome_source": source, "outcome_confirmed_on": safe_text(on)}
            )
            writer.writerow(row)
            n += 1
    return n
