"""Every user-facing word about the model comes from its card (issue 22: banner, intended use, About and
the PDF all said "HAM10000" while the shipped model was trained on four sources)."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QLabel

from cases.vocab import training_summary
from gui.dialogs.about import card_html
from gui.dialogs.intended_use import IntendedUseDialog
from gui.report import report_html
from tests.gui.helpers import full_images, run_scan


def _card_with(card, training_data: str):  # noqa: ANN001, ANN202
    return dataclasses.replace(card, doc=dataclasses.replace(card.doc, training_data=training_data))


def test_banner_intended_use_about_and_report_name_the_cards_training_data(qtbot, window) -> None:  # noqa: ANN001
    card = window.current_card()
    data = card.doc.training_data
    assert data  # the shipped card says what it learned from
    banner = window.notice.findChild(QLabel).text()
    assert training_summary(data) in banner
    assert "Austria" not in banner and "than in HAM10000" not in banner  # the old hard-coded words
    dlg = IntendedUseDialog(card, window)
    qtbot.addWidget(dlg)
    assert data in dlg.browser.toPlainText()
    assert data in window.about_dialog().text()
    run_scan(qtbot, window, full_images(1))
    rec = window.queue_model.records()[0]
    assert window.cases._training_data(rec) == data  # the card of the model that made the result
    html = report_html(rec, {c.code: c.name for c in card.classes}, True, training_data=data)
    assert data in html


def test_another_card_another_text(qtbot, window) -> None:  # noqa: ANN001
    card = _card_with(window.current_card(), "Clinic X dermoscopy (2025, 812 images); validation 200")
    window.notice.set_card(card)
    assert "Trained on Clinic X dermoscopy;" in window.notice.findChild(QLabel).text()
    about = card_html(card)
    assert "Clinic X dermoscopy (2025, 812 images)" in about and "HAM10000:" not in about
    window.notice.set_card(None)  # no readable card: said, not guessed
    assert "could not be read" in window.notice.findChild(QLabel).text()


def test_summary_keeps_the_sources_and_drops_the_counts() -> None:
    assert training_summary("HAM10000 (200x150 copies), train split 5957 images; val 1254") == \
        "HAM10000, train split 5957 images"
    assert training_summary("HAM10000 train split + BCN20000 / MSK (x) train split: 18065 images") == \
        "HAM10000 train split + BCN20000 / MSK train split"
