"""Issue 22's smaller findings, each as the user met it: thumbnails after a filter, urgent rows that look
unsorted, a zoom figure read as a probability, developer detail in About, no case selected after a restart."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from cases.policy import set_policy
from cases.vocab import Triage
from gui.dialogs.about import TECHNICAL_TITLE
from gui.queue_model import CASE_ID_ROLE, Col
from tests.gui.helpers import full_images, run_scan, small_images


def test_thumbnails_load_for_rows_a_filter_brings_into_view(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "many"
    folder.mkdir()
    for f in small_images(40):
        shutil.copy2(f, folder / f.name)
    window.resize(1200, 520)
    run_scan(qtbot, window, [folder])
    q, model = window.queue, window.queue_model
    first_id = q.visible_case_ids()[0]
    qtbot.waitUntil(lambda: not model.needs_thumbnail(first_id), timeout=10_000)
    last_id = q.visible_case_ids()[-1]
    assert q.view.rowAt(q.view.viewport().height() - 1) < 39  # the last row is out of view...
    assert model.needs_thumbnail(last_id)  # ...so it has no thumbnail yet
    q.filter.setText(model.record(last_id).file_name)  # the filter narrows the queue to it
    assert q.visible_case_ids() == [last_id]
    qtbot.waitUntil(lambda: not model.needs_thumbnail(last_id), timeout=10_000)


def test_urgent_rows_show_the_p_mel_they_are_sorted_by(qtbot, window) -> None:  # noqa: ANN001
    card = window.current_card()
    set_policy(window.store, card, (0.05, 0.01))  # a clinic policy that makes many cases urgent
    window.reload_model()
    run_scan(qtbot, window, full_images(24))
    proxy = window.queue.proxy
    shown = []
    for row in range(proxy.rowCount()):
        cid = proxy.index(row, Col.CASE_ID).data(CASE_ID_ROLE)
        rec = window.queue_model.record(cid)
        text = proxy.index(row, Col.MALIGNANT).data()
        if rec.result.priority == Triage.URGENT.value and rec.result.ok:
            m = re.search(r"mel (\d+)%", text)
            assert m, text
            assert int(m.group(1)) == round(rec.result.probabilities["mel"] * 100)
            shown.append(int(m.group(1)))
        else:
            assert "mel" not in text
    assert len(shown) >= 3 and shown == sorted(shown, reverse=True)  # the figure they are sorted by


def test_zoom_figure_is_labelled_and_away_from_the_badge(qtbot, window) -> None:  # noqa: ANN001
    run_scan(qtbot, window, full_images(1))
    window.queue.select_case(window.queue.visible_case_ids()[0])
    panel = window.viewer
    qtbot.waitUntil(lambda: panel.viewer.has_image, timeout=10_000)
    qtbot.waitUntil(lambda: panel.zoom_label.text().startswith("Zoom "), timeout=5000)
    assert re.fullmatch(r"Zoom \d+%", panel.zoom_label.text())
    below_image = panel.viewer.geometry().bottom()
    assert panel.zoom_label.mapTo(panel, panel.zoom_label.rect().topLeft()).y() > below_image
    assert panel.badge.mapTo(panel, panel.badge.rect().topLeft()).y() < panel.viewer.geometry().top()


def test_about_keeps_developer_detail_under_technical_details(qtbot, window) -> None:  # noqa: ANN001
    text = window.about_dialog().text()
    assert TECHNICAL_TITLE in text
    for_clinician, technical = text.split(TECHNICAL_TITLE, 1)
    for word in ("DECODE_MIN_RATIO", "INTER_AREA", "SHA-256", "Architecture", "multiply-adds"):
        assert word not in for_clinician, word
    assert "SHA-256" in technical and "Architecture" in technical
    if window.current_card().doc.decode_path:
        assert "Decoding" in technical
    assert "Training data" in for_clinician and "Licence" in for_clinician


def test_after_a_restart_the_first_case_is_selected(qtbot, make_window) -> None:  # noqa: ANN001
    w = make_window()
    run_scan(qtbot, w, small_images(3))
    assert w.queue.current_case_id() is None  # nothing chosen yet in this session
    w.close()
    w2 = make_window()
    first = w2.queue.ordered_case_ids()[0]
    assert w2.queue.current_case_id() == first and w2.case_panel.case_id == first


def test_priority_filters_keep_their_words_in_a_narrow_pane(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    """At 1024 px the count buttons used to shrink to icons and numbers; now they wrap onto two rows and every
    label stays whole (and clicking one still filters)."""
    folder = tmp_path / "few"
    folder.mkdir()
    for f in small_images(4):
        shutil.copy2(f, folder / f.name)
    run_scan(qtbot, window, [folder])
    q = window.queue
    for width, rows in ((900, 1), (450, 2)):
        q.resize(width, 600)
        q.count_widget.update_counts(window.queue_model.counts, width)
        assert q.count_widget.rows == rows
        for state, b in q.count_buttons.items():
            assert b.text().startswith(state.label), b.text()
    q.count_buttons[Triage.ROUTINE].click()
    assert q.filter.text() == Triage.ROUTINE.label and q.count_buttons[Triage.ROUTINE].isChecked()
    q.count_buttons[Triage.ROUTINE].click()
    assert q.filter.text() == ""
