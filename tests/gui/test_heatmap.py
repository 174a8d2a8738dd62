"""The viewer's heat map: the top class's activation map over the image, only for models that have one."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from gui.heatmap import attention_image
from gui.settings import AppSettings
from tests.conftest import MODELS
from tests.gui.helpers import full_images, run_scan


def _window_with(make_window, name: str):  # noqa: ANN001, ANN202
    if not (MODELS / f"{name}.onnx").exists():
        pytest.skip(f"{name} is not shipped")
    settings = AppSettings()
    settings.model_name = name
    settings.sync()
    window = make_window()
    assert window.state.model is not None and window.state.model.name == name
    return window


def test_attention_image_is_transparent_where_evidence_is_lowest() -> None:
    img = attention_image([[0.0, 1.0], [2.0, 4.0]])
    assert (img.width(), img.height()) == (2, 2)
    assert img.pixelColor(0, 0).alpha() == 0  # the minimum
    assert img.pixelColor(1, 1) == QColor(255, 0, 0, 255)  # the maximum: opaque red
    assert 0 < img.pixelColor(1, 0).alpha() < img.pixelColor(0, 1).alpha() < 255


def test_heat_map_follows_the_case_and_its_peak(qtbot, make_window) -> None:  # noqa: ANN001
    window = _window_with(make_window, "triage_cnn")
    run_scan(qtbot, window, full_images(2))
    rec = next(r for r in window.queue_model.records() if r.result.status == "ok")
    rows, cols = len(rec.result.attention), len(rec.result.attention[0])
    assert rows >= 3 and cols >= 3 and rows < cols  # a 4:3 image gives a wider-than-tall map
    window.queue.select_case(rec.id)
    viewer = window.viewer.viewer
    qtbot.waitUntil(lambda: viewer.has_image, timeout=10_000)
    assert window.viewer.attention_button.isEnabled() and not viewer.overlay_visible
    window.act.heatmap.trigger()
    assert viewer.overlay_visible
    overlay = viewer._overlay.pixmap().toImage()
    assert overlay.size() == viewer._item.pixmap().size()
    # The overlay's most opaque point lies in the map cell with the largest value.
    peak = max(((v, y, x) for y, row in enumerate(rec.result.attention) for x, v in enumerate(row)))
    _, py, px = peak
    cy = int((py + 0.5) * overlay.height() / rows)
    cx = int((px + 0.5) * overlay.width() / cols)
    assert overlay.pixelColor(cx, cy).alpha() > 200
    # The viewer's own key toggles it back off; moving to another case keeps the choice.
    viewer.setFocus()
    qtbot.keyClick(viewer, Qt.Key.Key_H)
    assert not viewer.overlay_visible and not window.viewer.attention_button.isChecked()


def test_heat_map_survives_a_restart(qtbot, make_window) -> None:  # noqa: ANN001
    window = _window_with(make_window, "triage_cnn")
    run_scan(qtbot, window, full_images(1))
    before = window.queue_model.records()[0].result.attention
    window.close()
    again = make_window()
    assert again.queue_model.records()[0].result.attention == before is not None


def test_models_without_maps_disable_the_heat_map(qtbot, make_window) -> None:  # noqa: ANN001
    window = _window_with(make_window, "paper_cnn")
    run_scan(qtbot, window, full_images(1))
    rec = window.queue_model.records()[0]
    assert rec.result.status == "ok" and rec.result.attention is None
    window.queue.select_case(rec.id)
    qtbot.waitUntil(lambda: window.viewer.viewer.has_image, timeout=10_000)
    assert not window.viewer.attention_button.isEnabled()
    window.act.heatmap.trigger()
    assert not window.viewer.viewer.overlay_visible


def _pdf_images(path) -> int:  # noqa: ANN001
    return path.read_bytes().count(b"/Subtype /Image")


def test_pdf_report_carries_the_heat_map_only_when_there_is_one(qtbot, make_window, tmp_path) -> None:  # noqa: ANN001
    window = _window_with(make_window, "triage_cnn")
    run_scan(qtbot, window, full_images(1))
    rec = window.queue_model.records()[0]
    window.queue.select_case(rec.id)
    with_map = tmp_path / "with.pdf"
    assert window.cases.export_report(str(with_map))
    rec.result.attention = None  # the same case as a model without maps would leave it
    from gui.report import export_pdf

    names = {c.code: c.name for c in window.state.model.card.classes}
    without = tmp_path / "without.pdf"
    export_pdf(rec, without, names)
    assert _pdf_images(without) >= 1
    assert _pdf_images(with_map) == _pdf_images(without) + 2  # the heat map and its colour legend
