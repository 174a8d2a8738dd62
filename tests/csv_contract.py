"""The scan CSV's row contract, checked the same way for the scan command and the GUI's export."""

from __future__ import annotations

from inference.result import csv_columns

CODES = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")  # the shipped cards' classes, in their order
CSV_COLUMNS = csv_columns(CODES)  # the README's column list


def ok_rows(rows: list[dict[str, str]], at_least: int) -> list[dict[str, str]]:
    """Rows with status ok: at least `at_least` of them, each a full probability vector and a priority."""
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(ok) >= at_least
    for r in ok:
        probs = [float(r[f"p_{c}"]) for c in CODES]
        assert abs(sum(probs) - 1) < 1e-4
        assert r["priority"] in ("urgent", "soon", "routine") and r["top_class"]
    return ok
