"""The model loads only when its card and file agree; otherwise a typed, readable error."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from inference.card import ModelCard, available_models
from inference.errors import CardError, ModelMissingError, ModelShapeError, ModelTamperedError
from inference.session import Model, sha256_file
from tests.conftest import MODELS


def copy_model(tmp_path, name="paper_cnn"):
    for ext in (".onnx", ".json"):
        shutil.copy(MODELS / f"{name}{ext}", tmp_path / f"{name}{ext}")
    return tmp_path / f"{name}.json"


def test_every_onnx_has_a_card_whose_hash_matches():
    onnx_files = sorted(MODELS.glob("*.onnx"))
    assert onnx_files
    for f in onnx_files:
        card = ModelCard.load(f.with_suffix(".json"))
        assert card.onnx_sha256 == sha256_file(f), f.name
        assert card.codes == ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
        assert card.full_name("mel") == "melanoma"
        assert card.raw["license"] == "CC BY-NC 4.0" and "Tschandl" in card.raw["citation"]
    assert "paper_cnn" in available_models()


def test_shipped_model_gives_calibrated_probabilities(model):
    x = np.zeros((3, 3, model.card.spec.height, model.card.spec.width), np.float32)
    p = model.probabilities(model.logits(x))
    assert p.shape == (3, 7) and np.allclose(p.sum(1), 1.0)


def test_missing_model(tmp_path):
    with pytest.raises(ModelMissingError, match="card not found"):
        Model.load(tmp_path / "nope.json")
    card = copy_model(tmp_path)
    (tmp_path / "paper_cnn.onnx").unlink()
    with pytest.raises(ModelMissingError, match="model file not found"):
        Model.load(card)


def test_tampered_model(tmp_path):
    card = copy_model(tmp_path)
    onnx = tmp_path / "paper_cnn.onnx"
    data = bytearray(onnx.read_bytes())
    data[-10] ^= 0xFF
    onnx.write_bytes(bytes(data))
    with pytest.raises(ModelTamperedError, match="does not match"):
        Model.load(card)


def test_card_disagreeing_with_graph(tmp_path):
    card_path = copy_model(tmp_path)
    raw = json.loads(card_path.read_text())
    raw["input"]["height"] = raw["input"]["width"] = 96
    card_path.write_text(json.dumps(raw))
    with pytest.raises(ModelShapeError, match="input shape"):
        Model.load(card_path)
    raw["input"]["height"] = raw["input"]["width"] = 64
    raw["classes"] = raw["classes"][:5]
    raw["malignant_classes"] = ["mel", "bcc", "akiec"]
    card_path.write_text(json.dumps(raw))
    with pytest.raises(ModelShapeError, match="5 classes"):
        Model.load(card_path)


def test_garbled_card(tmp_path):
    card_path = copy_model(tmp_path)
    card_path.write_text("{not json")
    with pytest.raises(CardError, match="not readable JSON"):
        Model.load(card_path)
    card_path.write_text(json.dumps({"name": "x"}))
    with pytest.raises(CardError, match="required field"):
        Model.load(card_path)
