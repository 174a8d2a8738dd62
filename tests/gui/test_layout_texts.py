"""Texts the user must read are never clipped (issue 22: Settings cut its explanation off when the
sensitivity warning appeared)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from gui.dialogs.settings_dialog import SettingsDialog


def _clipped(labels: list[QLabel]) -> list[str]:
    """Word-wrapped labels whose text needs more height than they were given."""
    return [lab.text()[:40] for lab in labels
            if lab.isVisible() and lab.text() and lab.wordWrap() and lab.heightForWidth(lab.width()) > lab.height()]


def test_settings_grows_when_the_sensitivity_warning_appears(qtbot, window) -> None:  # noqa: ANN001
    dlg = SettingsDialog(window.settings, window.store, parent=window)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    labels = dlg.findChildren(QLabel)
    assert _clipped(labels) == []
    dlg.urgent.setValue(99.0)
    dlg.soon.setValue(98.0)  # misses most melanomas: the warning shows
    qtbot.wait(20)
    assert "Warning" in dlg.warning.text()
    assert _clipped(labels) == []
