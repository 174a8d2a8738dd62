"""Issue 23: the window's exports (CSV, PDF, policy file) go through the same guard as `scan --out`: never over an
original image of the queue, never into a FIFO (which would block the window) or a device."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from cases.export_csv import export_target_problem
from tests.gui.helpers import full_images, run_scan


def test_exports_never_overwrite_an_original_or_open_a_fifo(qtbot, window, tmp_path: Path,
                                                             monkeypatch) -> None:  # noqa: ANN001
    folder = tmp_path / "in"
    folder.mkdir()
    for p in full_images(2):
        shutil.copy(p, folder / p.name)
    run_scan(qtbot, window, [folder])
    boxes: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text, *a, **k: boxes.append(text))
    original = sorted(folder.iterdir())[0]
    before = hashlib.sha256(original.read_bytes()).hexdigest()
    assert window.cases.export_csv(str(original)) == 0
    window.queue.select_case(window.queue_model.records()[0].id)
    assert window.cases.export_report(str(original)) is False
    assert hashlib.sha256(original.read_bytes()).hexdigest() == before
    assert len(boxes) == 2 and all("original images" in b for b in boxes)
    fifo = tmp_path / "queue.csv"
    os.mkfifo(fifo)
    assert window.cases.export_csv(str(fifo)) == 0  # refused at once, not blocked in open()
    assert "not a regular file" in boxes[-1]
    ok = tmp_path / "queue2.csv"
    assert window.cases.export_csv(str(ok)) == 2


def test_export_target_problem_words(tmp_path: Path) -> None:
    assert export_target_problem(tmp_path / "new.csv") == ""
    assert "is a folder" in export_target_problem(tmp_path)
    assert "not a regular file" in export_target_problem("/dev/null")
    link = tmp_path / "alias.csv"
    image = tmp_path / "a.jpg"
    image.write_bytes(b"x")
    link.symlink_to(image)
    assert "original images" in export_target_problem(link, [str(image)])


def test_policy_export_refuses_a_fifo_and_an_unwritable_place(qtbot, window, tmp_path: Path,
                                                               monkeypatch) -> None:  # noqa: ANN001
    from gui.dialogs.settings_dialog import SettingsDialog

    boxes: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text, *a, **k: boxes.append(text))
    dlg = SettingsDialog(window.settings, window.store, parent=window)
    qtbot.addWidget(dlg)
    fifo = tmp_path / "policy.json"
    os.mkfifo(fifo)
    assert dlg.export_policy(str(fifo)) is False and "not a regular file" in boxes[-1]
    assert dlg.export_policy(str(tmp_path / "missing" / "p.json")) is False and "could not be written" in boxes[-1]
    assert dlg.export_policy(str(tmp_path / "p.json")) and (tmp_path / "p.json").is_file()
