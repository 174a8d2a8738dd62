"""The window's exports: CSV with the scan command's leading columns, and a one-case PDF report."""

from __future__ import annotations

import csv
from pathlib import Path

from cases.export_csv import EXTRA_COLUMNS
from tests.csv_contract import CSV_COLUMNS, ok_rows
from tests.gui.helpers import full_images, run_scan


def test_csv_export_has_the_scan_columns_first_and_real_probabilities(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    bad = tmp_path / "in" / "broken.jpg"
    bad.parent.mkdir()
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    run_scan(qtbot, window, [bad, *full_images(6)])
    first = window.queue.visible_case_ids()[0]
    window.queue_model.update_note(first, "=HYPERLINK(\"http://x\")")
    out = tmp_path / "export" / "queue.csv"
    out.parent.mkdir()
    assert window.cases.export_csv(str(out)) == 7
    with open(out, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [dict(zip(header, r, strict=True)) for r in reader]
    assert header[: len(CSV_COLUMNS)] == CSV_COLUMNS
    assert header[len(CSV_COLUMNS):] == EXTRA_COLUMNS
    assert len(rows) == 7
    # Rows are in the order shown (priority first).
    assert [int(r["case_number"]) for r in rows] == window.queue.visible_case_ids()
    for r in ok_rows(rows, at_least=5):
        assert r["model_version"] == window.state.model.version and float(r["inference_ms"]) >= 0
    err = next(r for r in rows if r["path"].endswith("broken.jpg"))
    assert err["status"] == "error" and err["message"] and err["p_mel"] == ""
    noted = next(r for r in rows if int(r["case_number"]) == first)
    assert noted["note"].startswith("'=")  # a formula typed into a note stays text in a spreadsheet
    assert any(a[3] == "exported" for a in window.store.audit_log(first))


def test_csv_export_of_the_selection_only(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    run_scan(qtbot, window, full_images(4))
    chosen = window.queue.visible_case_ids()[2]
    window.queue.select_case(chosen)
    out = tmp_path / "sel.csv"
    assert window.cases.export_csv(str(out), selected=True) == 1
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and lines[1].split(",")[0] == window.queue_model.record(chosen).path


def test_pdf_report_is_a_real_pdf_with_the_image(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    run_scan(qtbot, window, full_images(2))
    cid = window.queue.visible_case_ids()[0]
    window.queue.select_case(cid)
    window.queue_model.update_note(cid, "Excision advised")
    out = tmp_path / "report.pdf"
    assert window.cases.export_report(str(out))
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(data) > 20_000  # the dermoscopy image is embedded, not just text
    assert b"/Image" in data
    assert any(a[3] == "exported" and a[4].startswith("pdf") for a in window.store.audit_log(cid))


def test_report_html_carries_the_required_content(qtbot, window) -> None:  # noqa: ANN001
    from gui.report import report_html

    run_scan(qtbot, window, full_images(1))
    rec = window.queue_model.records()[0]
    rec.note = "Check <margins> & follow up"
    names = {c.code: c.name for c in window.state.model.card.classes}
    text = report_html(rec, names, has_image=True)
    assert "not a medical device" in text and "does not replace a clinician" in text
    assert f"{rec.result.model_name} {rec.result.model_version}" in text
    assert "Check &lt;margins&gt; &amp; follow up" in text
    assert names[rec.result.top_class] in text and "dermtriage:case-image" in text
