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
