"""Issue 23: recent folders (patient names, by the app's sub-folder convention) and the last folder opened live
in the private data folder (0600 file in the 0700 folder), are moved there from the per-user settings once, and
go with a purge."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from cases.recent import RECENT_FILE
from gui.settings import AppSettings
from tests.gui.helpers import full_images, run_scan


def _settings_text(tmp_path: Path) -> str:
    QSettings().sync()
    return "".join(p.read_text(errors="replace") for p in (tmp_path / "settings").rglob("*") if p.is_file())


def test_recent_folders_live_in_the_data_folder_and_go_with_a_purge(qtbot, window, tmp_path: Path,
                                                                      monkeypatch) -> None:  # noqa: ANN001
    folder = tmp_path / "Jane Doe 1970"
    folder.mkdir()
    for p in full_images(2):
        shutil.copy(p, folder / p.name)
    run_scan(qtbot, window, [folder])
    assert window.intake.recent_folders()[0] == str(folder)
    private = window.store.path.parent / RECENT_FILE
    assert "Jane Doe 1970" in private.read_text()
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert "Jane Doe" not in _settings_text(tmp_path)  # nothing in ~/.config
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.queue.select_case(window.queue_model.records()[0].id)
    window.cases.remove_selected()
    assert not private.exists() and window.intake.recent_folders() == []
    window._fill_recent_menu()
    assert "Jane Doe" not in " ".join(a.text() for a in window.recent_menu.actions())


def test_old_settings_are_moved_into_the_data_folder(qtbot, make_window, tmp_path: Path) -> None:  # noqa: ANN001
    qs = QSettings()
    qs.setValue(AppSettings.RECENT, ["/clinic/P001 Smith", "/clinic/P002 Jones"])
    qs.setValue(AppSettings.LAST_DIR, "/clinic/P001 Smith")
    qs.sync()
    window = make_window()
    assert window.intake.recent_folders() == ["/clinic/P001 Smith", "/clinic/P002 Jones"]
    assert window.intake._start_dir() != ""  # /clinic does not exist: falls back to Pictures
    assert "Smith" not in _settings_text(tmp_path)
    assert "Smith" in (window.store.path.parent / RECENT_FILE).read_text()
