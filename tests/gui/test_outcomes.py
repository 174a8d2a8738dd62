"""Confirmed outcomes in the window (issue 21): entered in the case panel, shown and filtered in the queue,
exported to CSV and the PDF, imported in bulk from a CSV (all or nothing), every write audited."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gui.queue_model import Col
from tests.gui.clinic_helpers import seed_clinic


def _pick(combo, text: str) -> None:  # noqa: ANN001
    """Choose an item the way a keyboard user does: focus the box and type the start of its text."""
    combo.setFocus()
    QTest.keyClicks(combo, text)
    assert combo.currentText().startswith(text), combo.currentText()


def _cell(window, case_id: int, col: Col) -> str:  # noqa: ANN001
    return window.queue_model.index(window.queue_model.row_of(case_id), col).data()


def test_outcome_entered_in_the_case_panel_is_stored_and_audited(qtbot, make_window, tmp_path) -> None:  # noqa: ANN001
    ids = seed_clinic(tmp_path / "clinic", outcomes=False)
    window = make_window()
    cid = ids["open"][0]
    assert window.queue.select_case(cid)
    panel = window.case_panel.outcome
    assert panel.isVisible() and panel.diagnosis.currentData() is None and not panel.source.isEnabled()
    assert not panel.note.acceptDrops() and not panel.date.acceptDrops()  # a dropped file is scanned, not typed
    _pick(panel.diagnosis, "Melanoma")
    _pick(panel.source, "clinical")
    panel.date.setFocus()
    QTest.keyClicks(panel.date, "2026-13-45")  # not a date: said, nothing stored
    QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert "NOT saved" in panel.state.text() and window.store.outcomes() == {}
    panel.date.clear()
    QTest.keyClicks(panel.date, "2026-11-30")
    panel.note.setFocus()
    QTest.keyClicks(panel.note, "S26-1234, pT1a")
    QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)

    assert window.store.outcomes()[cid] == ("mel", "clinical follow-up", "2026-11-30", "S26-1234, pT1a")
    entry = [a for a in window.store.audit_log(cid) if a[3] == "outcome recorded"]
    assert len(entry) == 1 and "none -> mel (clinical follow-up, 2026-11-30) (entered)" in entry[0][4]
    assert "Outcome saved" in panel.state.text()
    assert _cell(window, cid, Col.OUTCOME) == "Melanoma"
    # Another case and back: the panel shows what is stored.
    assert window.queue.select_case(ids["open"][1]) and panel.diagnosis.currentData() is None
    assert window.queue.select_case(cid) and panel.value() == window.store.outcomes()[cid]

    panel.diagnosis.setFocus()
    QTest.keyClick(panel.diagnosis, Qt.Key.Key_Home)  # the first item: "None recorded"
    assert panel.diagnosis.currentText() == "None recorded"
    QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert cid not in window.store.outcomes()
    assert any(a[3] == "outcome cleared" for a in window.store.audit_log(cid))
    assert _cell(window, cid, Col.OUTCOME) == "—"


def test_outcome_refused_by_a_read_only_store_is_said(qtbot, make_window, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    ids = seed_clinic(tmp_path / "clinic", outcomes=False)
    window = make_window()
    cid = ids["open"][2]
    assert window.queue.select_case(cid)
    monkeypatch.setattr(window.store, "read_only", "another DermTriage window holds this data folder")
    panel = window.case_panel.outcome
    _pick(panel.diagnosis, "Benign")
    QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert "NOT saved" in panel.state.text() and "read-only" in panel.state.text()
    assert window.store.outcomes() == {}
    assert not any(a[3] == "outcome recorded" for a in window.store.audit_log(cid))
    assert _cell(window, cid, Col.OUTCOME) == "—"
    for box in window.findChildren(QMessageBox):
        box.close()


def test_queue_column_filter_csv_and_pdf_show_the_outcome(qtbot, make_window, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    ids = seed_clinic(tmp_path / "clinic", n_mel=3, n_nv=4, n_bcc=1, n_open=5)
    window = make_window()
    labelled = set(ids["mel"] + ids["nv"] + ids["bcc"])
    assert _cell(window, ids["mel"][0], Col.OUTCOME) == "Melanoma"
    assert _cell(window, ids["open"][0], Col.OUTCOME) == "—"
    with_b, awaiting_b = (window.outcome_filters[k] for k in ("with outcome", "awaiting outcome"))
    assert with_b.text() == "With outcome 8" and awaiting_b.text() == "Awaiting 5"
    QTest.mouseClick(awaiting_b, Qt.MouseButton.LeftButton)
    assert set(window.queue.visible_case_ids()) == set(ids["open"])
    QTest.mouseClick(with_b, Qt.MouseButton.LeftButton)
    assert set(window.queue.visible_case_ids()) == labelled and not awaiting_b.isChecked()
    QTest.mouseClick(with_b, Qt.MouseButton.LeftButton)
    assert len(window.queue.visible_case_ids()) == 13

    out = tmp_path / "queue.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "CSV files (*.csv)"))
    window.act.export_csv.trigger()
    with open(out, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames[-3:] == ["outcome", "outcome_source", "outcome_confirmed_on"]
        assert reader.fieldnames[:2] == ["path", "status"]  # the existing columns keep their place
        rows = {int(r["case_number"]): r for r in reader}
    assert rows[ids["mel"][1]]["outcome"] == "mel" and rows[ids["nv"][0]]["outcome"] == "nv"
    assert rows[ids["mel"][1]]["outcome_source"] == "histopathology"
    assert rows[ids["open"][0]]["outcome"] == ""

    import gui.report as report

    seen: list[str] = []
    original = report.report_html
    monkeypatch.setattr(report, "report_html", lambda *a, **k: seen.append(original(*a, **k)) or seen[-1])
    pdf = tmp_path / "case.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(pdf), "PDF files (*.pdf)"))
    assert window.queue.select_case(ids["mel"][2])
    window.act.report.trigger()
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "Confirmed outcome" in seen[-1] and "<b>Melanoma</b> (mel)" in seen[-1]
    assert "histopathology" in seen[-1] and "confirmed 2026-11-02" in seen[-1]
    assert "This clinic's figures" in seen[-1] and "Melanomas referred: 3/3" in seen[-1]
    assert "Only 3 confirmed melanoma(s): too few to conclude" in seen[-1]


def test_pdf_without_outcomes_has_no_clinic_section(qtbot, make_window, tmp_path) -> None:  # noqa: ANN001
    from gui.report import clinic_lines, report_html

    ids = seed_clinic(tmp_path / "clinic", n_mel=1, n_nv=1, n_bcc=0, n_open=1, outcomes=False)
    window = make_window()
    rec = window.queue_model.record(ids["open"][0])
    assert clinic_lines(window.queue_model, rec) == []
    text = report_html(rec, {}, has_image=False)
    assert "none recorded yet" in text and "This clinic" not in text


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _import(qtbot, window, monkeypatch, path: Path):  # noqa: ANN001, ANN202
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), "CSV files (*.csv)"))
    window.clinic.import_dialog = None
    clinic = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Clinic")
    next(a for a in clinic.actions() if a.text().replace("&", "") == "Import outcomes…").trigger()
    qtbot.waitUntil(lambda: window.clinic.import_dialog is not None and window.clinic.import_dialog.isVisible(),
                    timeout=10_000)
    return window.clinic.import_dialog


@pytest.mark.parametrize("clean", [False, True])
def test_import_outcomes_all_or_nothing(qtbot, make_window, tmp_path, monkeypatch, clean) -> None:  # noqa: ANN001
    ids = seed_clinic(tmp_path / "clinic", n_mel=2, n_nv=2, n_bcc=0, n_open=4, outcomes=False)
    window = make_window()
    recs = {cid: window.queue_model.record(cid) for cid in ids["open"]}
    a, b, c, d = (recs[cid] for cid in ids["open"])
    rows = [[a.sha256, "", "", "", "mel", "histology", "2026-11-20"],
            [b.sha256.upper(), "", "", "", "benign", "", ""],
            ["", c.path, "", "", "nv", "follow-up", "2026-10-01"],
            ["", "", d.patient_id, d.file_name, "bcc", "consensus", ""]]
    if not clean:
        rows[1][4] = "naevus"  # not a code of this card
        rows.append(["", str(tmp_path / "elsewhere.jpg"), "", "", "mel", "histopathology", ""])  # matches nothing
    path = _write_csv(tmp_path / "pathology.csv", ["sha256", "path", "case_id", "file", "diagnosis", "source", "date"],
                      rows)
    dlg = _import(qtbot, window, monkeypatch, path)
    audit_before = len(window.store.audit_log())
    if not clean:
        problems = [dlg.problems.item(i).text() for i in range(dlg.problems.count())]
        assert len(problems) == 2 and dlg.problems.isVisible()
        assert any("unknown diagnosis" in p and "naevus" in p for p in problems)
        assert any("matches no case" in p and "elsewhere.jpg" in p for p in problems)
        assert "Nothing will be imported" in dlg.verdict.text()
        assert not dlg.import_button.isEnabled()
        QTest.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)  # disabled: does nothing
        dlg.reject()
        assert window.store.outcomes() == {} and len(window.store.audit_log()) == audit_before
        assert all(_cell(window, cid, Col.OUTCOME) == "—" for cid in ids["open"])
        return
    assert dlg.problems.count() == 0 and dlg.import_button.isEnabled()
    assert "4 outcome(s) to record (1 by case ID + file name, 1 by path, 2 by sha256)" in dlg.summary.text()
    QTest.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)
    stored = window.store.outcomes()
    assert stored[a.id] == ("mel", "histopathology", "2026-11-20", "")
    assert stored[b.id][:2] == ("benign", "unspecified") and stored[c.id][:2] == ("nv", "clinical follow-up")
    assert stored[d.id][0] == "bcc" and len(stored) == 4
    imported = [e for e in window.store.audit_log() if e[3] == "outcome recorded"]
    assert len(imported) == 4 and all("(imported from pathology.csv)" in e[4] for e in imported)
    assert _cell(window, d.id, Col.OUTCOME) == "Basal cell carcinoma"
    assert window.outcome_filters["with outcome"].text() == "With outcome 4"

    dlg2 = _import(qtbot, window, monkeypatch, path)  # the same file again: every row repeats, nothing to do
    assert not dlg2.import_button.isEnabled() and "Nothing to import" in dlg2.verdict.text()
    dlg2.reject()

    # A corrected report: a conflict, listed and stopping the import until the user chooses to replace.
    fixed = _write_csv(tmp_path / "corrected.csv", ["sha256", "diagnosis", "source"],
                       [[a.sha256, "nv", "histopathology"], [b.sha256, "benign", ""]])
    dlg3 = _import(qtbot, window, monkeypatch, fixed)
    assert [dlg3.problems.item(i).text() for i in range(dlg3.problems.count())] == [
        f"conflict: line 2: {a.file_name} already has mel (histopathology, 2026-11-20), the file says nv"]
    assert not dlg3.import_button.isEnabled() and dlg3.replace.isVisible()
    QTest.mouseClick(dlg3.replace, Qt.MouseButton.LeftButton)
    assert dlg3.problems.count() == 0 and dlg3.import_button.isEnabled() and "1 by sha256" in dlg3.summary.text()
    QTest.mouseClick(dlg3.import_button, Qt.MouseButton.LeftButton)
    assert window.store.outcomes()[a.id][0] == "nv" and window.store.outcomes()[b.id][0] == "benign"
    last = [e for e in window.store.audit_log(a.id) if e[3] == "outcome recorded"][-1]
    assert "mel (histopathology, 2026-11-20) -> nv" in last[4] and "corrected.csv" in last[4]
