"""An unusable model: the window still opens, says why, and produces no results at all."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent
from PySide6.QtWidgets import QApplication

import inference.card
from inference.resources import models_dir
from tests.gui.helpers import full_images


@pytest.fixture
def tampered_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "models"
    d.mkdir()
    shutil.copy2(models_dir() / "paper_cnn.json", d / "paper_cnn.json")
    data = bytearray((models_dir() / "paper_cnn.onnx").read_bytes())
    data[-10] ^= 0xFF  # one flipped byte: the sha256 in the card no longer matches
    (d / "paper_cnn.onnx").write_bytes(bytes(data))
    monkeypatch.setattr(inference.card, "models_dir", lambda: d)
    return d


def test_tampered_model_shows_a_banner_and_disables_scanning(qtbot, make_window, tampered_models) -> None:  # noqa: ANN001
    window = make_window()
    assert window.state.model is None
    assert window.banner.isVisible()
    text = window.banner.text.text()
    assert "could not be loaded" in text and "sha256" in text
    assert not window.act.open.isEnabled() and not window.act.scan.isEnabled()
    assert not window.act.samples.isEnabled()
    assert "NOT LOADED" in window.model_label.text()
    assert window.start_scan(full_images(2)) is False
    assert not window.controller.busy and window.queue_model.rowCount() == 0
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(full_images(1)[0]))])
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, md, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()
    # The About dialog still documents the card, and says the model is unusable.
    about = window.about_dialog().text()
    assert "could not be loaded" in about and "version 1" in about


def test_missing_model_files_are_reported_not_faked(make_window, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    empty = tmp_path / "nomodels"
    empty.mkdir()
    monkeypatch.setattr(inference.card, "models_dir", lambda: empty)
    window = make_window()
    assert window.state.model is None and window.state.card is None
    assert window.banner.isVisible() and "not found" in window.banner.text.text()
    assert "No readable model card" in window.about_dialog().text()


def test_issue_23_tampered_shipped_model_is_refused_by_name(qtbot, make_window, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """The tamper of issue 23 (binding key renamed, card sha256 updated, binding hash dropped, mel/nv swapped)
    used to run as "triage_cnn 4.0.0"; now the window says which model was refused and why."""
    from tests.inference.test_shipped import copy_model, issue_23_tamper

    d = tmp_path / "models"
    d.mkdir()
    issue_23_tamper(copy_model(d, "triage_cnn"))
    monkeypatch.setattr(inference.card, "models_dir", lambda: d)
    window = make_window()
    assert window.state.model is None and window.banner.isVisible()
    text = window.banner.text.text()
    assert "could not be loaded" in text and "is not the triage_cnn this DermTriage ships" in text
    assert not window.act.scan.isEnabled()


def test_custom_unbound_model_runs_with_a_banner_a_column_and_a_pdf_line(qtbot, make_window, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    import csv

    from gui.report import report_html
    from inference.shipped import result_notice
    from tests.gui.helpers import run_scan
    from tests.inference.test_shipped import _custom

    d = tmp_path / "models"
    d.mkdir()
    _custom(d, bind=False)
    monkeypatch.setattr(inference.card, "models_dir", lambda: d)
    window = make_window()
    assert window.state.model is not None and window.state.model.binding_status == "custom-unbound"
    assert window.banner.isVisible() and window.banner.objectName() == "customModelBanner"
    assert "NOT bound" in window.banner.text.text()
    run_scan(qtbot, window, full_images(2))
    assert window.banner.isVisible()  # persistent: a scan does not replace it
    out = tmp_path / "q.csv"
    assert window.cases.export_csv(str(out)) == 2
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["model_binding"] for r in rows} == {"custom-unbound"}
    rec = window.queue_model.record(window.queue.visible_case_ids()[0])
    notice = result_notice(rec.result.model_name, rec.result.model_version, window.state.model)
    assert "clinic_cnn" in notice and "NOT bound" in notice
    assert notice in report_html(rec, {}, has_image=False, model_notice=notice)
    assert result_notice("triage_cnn", "4.0.0") == ""
