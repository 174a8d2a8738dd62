"""One triage policy: after a change in Settings the same image has the same priority in the window, the
CSV export and `dermtriage scan` (reading the app's store, or a policy file exported from it)."""

from __future__ import annotations

import csv
import shutil
import statistics
from pathlib import Path

from cases.scan import run_scan as scan_command
from gui.dialogs.settings_dialog import SettingsDialog
from tests.gui.helpers import full_images, run_scan


def _priorities(path: Path) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["path"]: row["priority"] for row in csv.DictReader(fh)}


def test_policy_change_reaches_window_csv_and_scan(qtbot, window, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    folder = tmp_path / "clinic"
    folder.mkdir()
    for f in full_images(14):
        shutil.copy2(f, folder / f.name)
    run_scan(qtbot, window, [folder])
    before = {r.path: r.result.priority for r in window.queue_model.records()}
    ok = [r.result for r in window.queue_model.records() if r.result.ok]
    assert len(ok) >= 10
    card = window.state.model.card
    # Thresholds in the middle of this batch's scores, so that some priorities must change.
    urgent = round(statistics.median((r.probabilities or {}).get("mel", r.malignant_score) for r in ok), 4)
    soon = round(statistics.median(r.malignant_score for r in ok), 4)
    if card.thresholds.kind != "melanoma_first":
        urgent = max(urgent, soon)
    dlg = SettingsDialog(window.settings, window.store, parent=window)
    qtbot.addWidget(dlg)
    dlg.urgent.setValue(urgent * 100)
    dlg.soon.setValue(soon * 100)
    dlg.apply()
    assert dlg.changed_policy
    policy_file = tmp_path / "policy.json"
    assert dlg.export_policy(str(policy_file))
    window.reload_model()  # what the window does after OK: re-prioritise from the stored probabilities

    shown = {r.path: r.result.priority for r in window.queue_model.records()}
    thr = window.state.model.card.thresholds
    for r in window.queue_model.records():
        if r.result.ok:
            assert r.result.priority == thr.priority(r.result.malignant_score, r.result.probabilities.get("mel"))
    assert shown != before, "the new policy changed no priority: the test would prove nothing"
    assert window.store.result_count(window.queue_model.records()[0].id) == 1  # no re-inference

    exported = tmp_path / "queue.csv"
    assert window.cases.export_csv(str(exported)) == len(shown)
    from_csv = _priorities(exported)

    scanned = tmp_path / "scan.csv"  # same DERMTRIAGE_DATA_DIR as the window: reads its policy
    assert scan_command([str(folder), "--out", str(scanned), "--quiet"]) == 0
    from_scan = _priorities(scanned)

    monkeypatch.setenv("DERMTRIAGE_DATA_DIR", str(tmp_path / "elsewhere"))  # another machine: the file
    by_file = tmp_path / "scan_file.csv"
    assert scan_command([str(folder), "--out", str(by_file), "--quiet", "--policy", str(policy_file)]) == 0
    assert not (tmp_path / "elsewhere").exists()

    as_text = {p: str(v or "") for p, v in shown.items()}
    assert from_csv == as_text
    assert from_scan == as_text
    assert _priorities(by_file) == as_text
    # One vocabulary (issue 22): the window's CSV and the scan's name the same facts alike, policy included.
    with exported.open(newline="", encoding="utf-8") as fa, scanned.open(newline="", encoding="utf-8") as fb:
        window_rows, scan_rows = list(csv.DictReader(fa)), list(csv.DictReader(fb))
    shared = list(scan_rows[0])
    assert list(window_rows[0])[: len(shared)] == shared
    by_path = {r["path"]: r for r in scan_rows}
    for r in window_rows:
        same = by_path[r["path"]]
        assert {k: r[k] for k in ("priority", "model", "model_version", "policy", "sha256")} == {
            k: same[k] for k in ("priority", "model", "model_version", "policy", "sha256")}
