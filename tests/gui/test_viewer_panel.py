"""The viewer (fit, 1:1, zoom, EXIF orientation) and the case panel (bars, rule, timings, model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from gui.viewer import ImageViewer
from tests.bad_images import jpeg_with_orientation
from tests.gui.helpers import full_images, run_scan


def _load(qtbot, viewer: ImageViewer, path: Path) -> None:  # noqa: ANN001
    with qtbot.waitSignal(viewer.imageShown, timeout=10_000) as shown:
        viewer.load(str(path))
    assert shown.args == [True]


def test_fit_actual_size_and_zoom(qtbot) -> None:  # noqa: ANN001
    viewer = ImageViewer()
    qtbot.addWidget(viewer)
    viewer.resize(320, 240)
    viewer.show()
    _load(qtbot, viewer, full_images(1)[0])  # 600x450
    assert viewer.zoom < 0.6  # fitted into 320x240
    viewer.actual_size()
    assert viewer.zoom == 1.0
    viewer.zoom_in()
    assert abs(viewer.zoom - 1.25) < 1e-6
    qtbot.keyClick(viewer, Qt.Key.Key_Minus)
    assert abs(viewer.zoom - 1.0) < 1e-6
    wheel = QWheelEvent(
        QPointF(100, 100),
        QPointF(100, 100),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewer.viewport(), wheel)
    assert abs(viewer.zoom - 1.5625) < 1e-6
    qtbot.keyClick(viewer, Qt.Key.Key_F)
    assert viewer.zoom < 0.6


def test_exif_orientation_is_respected(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    bgr = np.zeros((40, 60, 3), np.uint8)
    bgr[:, :30] = (0, 0, 255)
    path = tmp_path / "rotated.jpg"
    path.write_bytes(jpeg_with_orientation(bgr, 6))  # stored 60x40, shown rotated 90 degrees
    viewer = ImageViewer()
    qtbot.addWidget(viewer)
    _load(qtbot, viewer, path)
    pm = viewer._item.pixmap()
    assert (pm.width(), pm.height()) == (40, 60)


def test_unreadable_image_shows_a_message_not_a_crash(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    viewer = ImageViewer()
    qtbot.addWidget(viewer)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"nope")
    with qtbot.waitSignal(viewer.imageShown, timeout=10_000) as shown:
        viewer.load(str(bad))
    assert shown.args == [False] and not viewer.has_image
    assert viewer._message.startswith("Image cannot be displayed")


def test_case_panel_shows_result_rule_timings_and_model(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    empty = tmp_path / "x" / "empty.jpg"
    empty.parent.mkdir()
    empty.write_bytes(b"")
    run_scan(qtbot, window, [empty, *full_images(3)])
    ok = next(r for r in window.queue_model.records() if r.result.status == "ok")
    window.queue.select_case(ok.id)
    panel = window.case_panel
    card = window.state.model.card
    names = [name for name, _p, _m in panel.bars.rows]
    probs = [p for _n, p, _m in panel.bars.rows]
    assert len(names) == 7 and probs == sorted(probs, reverse=True)
    assert set(names) == {c.name for c in card.classes}
    assert {n for n, _p, m in panel.bars.rows if m} == {card.full_name(c) for c in card.malignant}
    assert panel.priority_text.text() in ("Urgent referral", "Refer soon", "Routine")
    assert "threshold" in panel.priority_rule.text()
    assert "Decode" in panel.details.text() and "inference" in panel.details.text()
    assert f"Model {card.name} {card.version}" in panel.details.text()
    qtbot.waitUntil(lambda: window.viewer.viewer.has_image, timeout=10_000)
    assert ok.file_name in window.viewer.caption.text()
    err = next(r for r in window.queue_model.records() if r.result.status == "error")
    window.queue.select_case(err.id)
    assert panel.priority_text.text() == "Error: not analysed"
    assert not panel.bars.isVisibleTo(panel) and "empty file" in panel.quality.text()
