"""The model card schema (inference.card_schema.CardFile): old cards load, new fields are typed, errors are named."""

from __future__ import annotations

import copy
import json

import pytest

from inference.card import ModelCard
from inference.card_schema import CARD_FORMAT, CardFile, validate_card
from inference.errors import CardError
from inference.referral import MELANOMA_FIRST
from tests.conftest import MODELS

SOURCE = {
    "label": "Derm7pt", "external": True, "n": 1011, "refused_fraction": 0.02, "accuracy": 0.61,
    "balanced_accuracy": 0.48, "melanoma_recall": 0.4, "melanoma_auc": 0.8, "melanoma_vs_nevus_auc": 0.82,
    "macro_auc": 0.85, "ece": 0.07, "melanoma_referred": 0.9, "melanoma_urgent": 0.5, "malignant_referred": 0.9,
    "benign_referred": 0.4, "nevus_referred": 0.35,
}


def new_card() -> dict:
    """A shipped card with every field that newer training writes."""
    raw = json.loads((MODELS / "triage_cnn.json").read_text())
    raw["thresholds"] = {
        "rule": "melanoma_first", "urgent_score": "P(mel)", "soon_score": "P(mel)+P(bcc)+P(akiec)",
        "urgent": 0.31, "soon": 0.06, "description": "urgent if P(mel) >= urgent; soon if ...",
        "validation": {"melanoma_referred": 0.95, "benign_urgent": None},
    }
    raw["metrics"]["sources"] = {"derm7pt": SOURCE, "test_ham": {**SOURCE, "label": "HAM10000", "external": False}}
    raw["metrics"]["sources_tensor"] = {"test_ham": {"n": 1303, "accuracy": 0.8, "referral": {"x": None}}}
    raw["decode_path"] = "any JPEG decoded by inference.image"
    raw["training"]["model_selection"] = "balanced accuracy on ISIC 2018 test"
    raw["split"].update(pool_file="training/splits/isic2019_pool.csv", pool_sha256="ab" * 32)
    raw["something_newer"] = {"kept": True}
    return raw


@pytest.mark.parametrize("name", ["paper_cnn", "effnet_lite0", "paper_cnn_int8", "triage_cnn"])
def test_shipped_cards_load_typed(name: str) -> None:
    card = ModelCard.load(MODELS / f"{name}.json")
    doc = card.doc
    assert isinstance(doc, CardFile) and doc.format == CARD_FORMAT and doc.name == name
    assert doc.metrics.test is not None and 0 < doc.metrics.test.accuracy < 1
    assert doc.metrics.test.per_class["mel"].support > 0
    assert doc.onnx.opset == 17 and doc.license == "CC BY-NC 4.0"
    assert card.thresholds.urgent == doc.thresholds.urgent


def test_new_fields_are_typed_and_unknown_keys_kept() -> None:
    doc = validate_card(new_card())
    assert doc.referral_thresholds().kind == MELANOMA_FIRST
    assert doc.thresholds.validation["benign_urgent"] is None and doc.thresholds.urgent_score == "P(mel)"
    src = doc.metrics.sources["derm7pt"]
    assert src.external and src.n == 1011 and src.melanoma_vs_nevus_auc == pytest.approx(0.82)
    assert doc.metrics.sources_tensor["test_ham"].referral == {"x": None}
    assert doc.split.pool_file.endswith("isic2019_pool.csv") and doc.training.model_selection
    assert doc.decode_path and doc.extra == {"something_newer": {"kept": True}}


@pytest.mark.parametrize(("edit", "message"), [
    (lambda r: r.update(format=2), "format 2"),
    (lambda r: r.pop("format"), "format: required field missing"),
    (lambda r: r["thresholds"].update(urgent="high"), "thresholds.urgent: expected a number"),
    (lambda r: r["metrics"]["sources"]["derm7pt"].update(n=10.5), "derm7pt.n: expected an integer"),
    (lambda r: r["metrics"]["sources"]["derm7pt"].update(external="yes"), "external: expected bool"),
    (lambda r: r.update(classes=[{"code": "mel"}]), "classes[0].name: required field missing"),
    (lambda r: r.update(malignant_classes=["mel", "scc"]), "are not model classes"),
])
def test_wrong_cards_are_refused_with_the_field_named(edit, message: str) -> None:  # noqa: ANN001
    raw = copy.deepcopy(new_card())
    edit(raw)
    with pytest.raises(CardError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate_card(raw)


def test_validation_scores_are_typed() -> None:
    raw = new_card()
    raw["thresholds"]["validation_scores"] = {"p_mel": [0.5, 0.01], "p_malignant": [0.6, 0.02], "dx": ["mel", "nv"]}
    scores = validate_card(raw).thresholds.validation_scores
    assert scores.p_mel == (0.5, 0.01) and scores.dx == ("mel", "nv")
    assert validate_card(new_card()).thresholds.validation_scores is None  # optional
    raw["thresholds"]["validation_scores"]["p_mel"] = ["high"]
    with pytest.raises(CardError, match="validation_scores.p_mel"):
        validate_card(raw)
