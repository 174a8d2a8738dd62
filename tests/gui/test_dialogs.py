"""About (the model card, readable), Settings (thresholds from the card, overrides), shortcuts, samples."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from cases.samples import load_samples, sample_items
from gui.dialogs.settings_dialog import SettingsDialog
from gui.dialogs.shortcuts import ShortcutsDialog
from tests.conftest import MODELS
from tests.gui.helpers import full_images, run_scan


def test_about_dialog_shows_the_model_card(qtbot, window) -> None:  # noqa: ANN001
    dlg = window.about_dialog()
    qtbot.addWidget(dlg)
    text = dlg.text()
    card = window.state.model.card
    assert f"Model: {card.name} version {card.version}" in text
    assert "For research use; not a medical device; does not replace a clinician's diagnosis" in text
    assert "CC BY-NC 4.0" in text and "Tschandl" in text and "doi:10.1038/sdata.2018.161" in text
    assert "Balanced accuracy" in text and f"n = {card.raw['metrics']['test']['n']}" in text
    assert "Confusion matrix" in text
    assert str(card.raw["training_data"]) in text
    if "cam_in_lesion_mask" in card.raw:  # the default student documents its heat maps (and teachers, if any)
        assert "Heat map peak inside the lesion" in text and f"{card.raw['cam_in_lesion_mask']['n']} test" in text
        assert ("Distilled from" in text) == ("distillation" in card.raw)
    for source in card.raw["metrics"].get("sources", {}).values():  # per-source numbers, external marked
        assert source["label"] in text


def test_settings_thresholds_default_to_the_card_and_an_override_changes_priorities(
        qtbot, window) -> None:  # noqa: ANN001
    card = window.state.model.card
    key = (card.name, card.version)
    dlg = SettingsDialog(window.settings, window.store, parent=window)
    qtbot.addWidget(dlg)
    assert dlg.urgent.value() == pytest.approx(card.thresholds.urgent * 100, abs=0.006)
    assert dlg.soon.value() == pytest.approx(card.thresholds.soon * 100, abs=0.006)
    dlg.apply()  # unchanged values: no override stored
    assert key not in window.store.policy_overrides() and not dlg.changed_model
    dlg.soon.setValue(60.0)
    dlg.urgent.setValue(50.0)
    if card.thresholds.kind != "melanoma_first":
        assert not dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()  # soon above urgent
    dlg.soon.setValue(20.0)
    assert dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dlg.apply()
    assert dlg.changed_model and dlg.changed_policy
    assert window.store.policy_overrides()[key] == pytest.approx((0.5, 0.2))
    assert any(a[3] == "policy changed" and "urgent 50.00%" in a[4] for a in window.store.audit_log())
    window.reload_model()
    assert window.state.thresholds_overridden and "clinic thresholds" in window.model_label.text()
    run_scan(qtbot, window, full_images(12))
    for r in window.queue_model.records():
        if r.result.status == "ok":
            assert r.result.priority == window.state.model.card.thresholds.priority(
                r.result.malignant_score, r.result.probabilities.get("mel"))
            assert "clinic setting" in r.result.priority_rule
    assert "Referral (in use)" in window.about_dialog().text()
    # "Reset to model card" goes back to the card's values (and removes the override on apply).
    dlg2 = SettingsDialog(window.settings, window.store, parent=window)
    qtbot.addWidget(dlg2)
    assert dlg2.urgent.value() == pytest.approx(50.0)
    dlg2._reset_thresholds()
    dlg2.apply()
    assert key not in window.store.policy_overrides()


def test_settings_threads_and_theme_persist(qtbot, window) -> None:  # noqa: ANN001
    dlg = SettingsDialog(window.settings, window.store, parent=window)
    qtbot.addWidget(dlg)
    dlg.theme.setCurrentIndex(dlg.theme.findData("dark"))
    dlg.apply()
    assert window.settings.theme == "dark"
    assert window.settings.qs.fileName().startswith(str(Path(window.store.path).parents[1]))  # tmp, not ~


def test_shortcuts_dialog_lists_the_window_actions(qtbot, window) -> None:  # noqa: ANN001
    dlg = ShortcutsDialog(window.actions(), window)
    qtbot.addWidget(dlg)
    rows = {dlg.table.item(r, 0).text(): dlg.table.item(r, 1).text() for r in range(dlg.table.rowCount())}
    assert rows["Open images"] == "Ctrl+O"
    assert rows["Next case"].startswith("Alt+Down")
    assert "Mark referred" in rows and "Image: fit to window" in rows


def test_samples_missing_disables_the_action_with_a_reason(tmp_path: Path) -> None:
    samples, why = load_samples(tmp_path)
    assert samples == [] and "No sample cases" in why


def test_bundled_samples_become_named_cases_with_attribution(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    d = tmp_path / "samples"
    d.mkdir()
    imgs = full_images(2)
    for img in imgs:
        shutil.copy2(img, d / img.name)
    (d / "samples.json").write_text(
        json.dumps(
            {
                "license": "CC BY-NC 4.0",
                "attribution": "HAM10000 dataset, ViDIR Group, Medical University of Vienna",
                "samples": [{"file": imgs[0].name, "dx": "mel"}, {"file": imgs[1].name, "dx": "nv"}],
            }
        )
    )
    samples, why = load_samples(d)
    assert why == "" and len(samples) == 2
    names = {c.code: c.name for c in window.state.model.card.classes}
    items = sample_items(samples, names)
    assert [i.patient_id for i in items] == ["Sample 01", "Sample 02"]
    assert "Reference diagnosis: melanoma" in items[0].note and "ViDIR" in items[0].note
    run_scan(qtbot, window, items=items)
    recs = sorted(window.queue_model.records(), key=lambda r: r.patient_id)
    assert [r.patient_id for r in recs] == ["Sample 01", "Sample 02"]
    assert "CC BY-NC 4.0" in recs[0].note
    # The real window's action reflects what is bundled.
    assert window.act.samples.isEnabled() == (load_samples()[1] == "")


def test_about_shows_the_per_source_table_of_newer_cards(tmp_path) -> None:  # noqa: ANN001
    from gui.dialogs.about import card_html
    from inference.card import ModelCard
    from tests.inference.test_card_schema import new_card

    path = tmp_path / "triage_cnn.json"
    path.write_text(json.dumps(new_card()))
    text = card_html(ModelCard.load(path))
    assert "By image source" in text and text.count("<tr><td>Derm7pt <b>(external)</b></td>") == 1
    assert "<tr><td>HAM10000</td>" in text and "Model selection" in text and "Decoding" in text
    old = card_html(ModelCard.load(MODELS / "paper_cnn.json"))
    assert "By image source" not in old and "Balanced accuracy" in old


def test_settings_show_what_the_policy_does_on_validation_data(qtbot, window) -> None:  # noqa: ANN001
    import dataclasses

    from inference.card_schema import ValidationScores

    dlg = SettingsDialog(window.settings, window.store, parent=window)
    qtbot.addWidget(dlg)
    name = dlg.model.currentData()
    card = dlg._cards[name]
    if card.doc.thresholds.validation_scores is None:
        assert "no validation scores" in dlg.effect.text()
    # A card with pooled validation scores: 4 melanomas, 4 benign lesions.
    scores = ValidationScores(p_mel=(0.6, 0.2, 0.05, 0.02, 0.01, 0.01, 0.3, 0.0),
                              p_malignant=(0.7, 0.5, 0.25, 0.1, 0.05, 0.2, 0.4, 0.01),
                              dx=("mel", "mel", "mel", "mel", "nv", "nv", "bkl", "df"))
    doc = dataclasses.replace(card.doc, thresholds=dataclasses.replace(card.doc.thresholds,
                                                                         validation_scores=scores))
    dlg._cards[name] = dataclasses.replace(card, doc=doc)
    dlg.urgent.setValue(50.0)
    dlg.soon.setValue(8.0)
    assert "melanoma sensitivity (urgent or soon) 100.0% of 4 melanomas" in dlg.effect.text()
    assert "benign lesions referred 50.0% of 4" in dlg.effect.text() and dlg.warning.text() == ""
    dlg.soon.setValue(30.0)  # raising "soon" misses melanomas: the dialog says so
    assert "50.0% of 4 melanomas" in dlg.effect.text() and "Warning" in dlg.warning.text()
