"""The card bound to its weights (issue 12): a swapped card, changed weights or a swapped ONNX file are
refused with a clear message even when the card's sha256 was updated to match."""

from __future__ import annotations

import json
import shutil

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from inference.binding import BINDING_KEY
from inference.card import DEFAULT_MODEL, available_models
from inference.errors import ModelTamperedError
from inference.session import Model, sha256_file
from tests.conftest import MODELS


@pytest.fixture
def unpinned(monkeypatch):
    """The binding as it protects a *custom* model: without the shipped table (inference/shipped.py), which
    refuses these copies of paper_cnn by name before the binding is looked at (tests/inference/test_shipped.py)."""
    from inference import shipped

    monkeypatch.setattr(shipped, "SHIPPED_MODELS", {})


def copy_model(tmp_path, name="paper_cnn"):
    for ext in (".onnx", ".json"):
        shutil.copy(MODELS / f"{name}{ext}", tmp_path / f"{name}{ext}")
    return tmp_path / f"{name}.json"


def _edit_card(card, fn) -> None:
    raw = json.loads(card.read_text())
    fn(raw)
    card.write_text(json.dumps(raw, indent=2))


def _save_onnx(model: onnx.ModelProto, card) -> None:
    """Write the changed ONNX file and update the card's sha256, as a careful tamperer would."""
    onnx_path = card.with_name(json.loads(card.read_text())["onnx"]["file"])
    onnx.save(model, str(onnx_path))
    _edit_card(card, lambda raw: raw["onnx"].update(sha256=sha256_file(onnx_path)))


@pytest.mark.parametrize("name", available_models())
def test_every_shipped_model_is_bound(name):
    """The default model included: `python -m training.bind_card assets/models/NAME.json` after training."""
    assert DEFAULT_MODEL in available_models()
    raw = json.loads((MODELS / f"{name}.json").read_text())
    assert raw["onnx"].get("binding_sha256"), f"{name} is not bound to its card"
    model = Model.load(name)
    assert model.binding_warning == "" and model.binding_status == "shipped"


def test_swapped_classes_in_the_card_are_refused(tmp_path):
    card = copy_model(tmp_path)

    def swap(raw):
        classes = raw["classes"]
        i, j = [k for k, c in enumerate(classes) if c["code"] in ("mel", "nv")]
        classes[i], classes[j] = classes[j], classes[i]

    _edit_card(card, swap)
    with pytest.raises(ModelTamperedError, match=r"class order: card \[.*'nv', 'mel'.*\] vs weights"):
        Model.load(card)


def test_edited_threshold_or_temperature_is_refused_metrics_are_not(tmp_path):
    card = copy_model(tmp_path)
    _edit_card(card, lambda raw: raw["thresholds"].update(urgent=0.99))
    with pytest.raises(ModelTamperedError, match="thresholds changed"):
        Model.load(card)
    card = copy_model(tmp_path)
    _edit_card(card, lambda raw: raw.update(temperature=raw["temperature"] * 2))
    with pytest.raises(ModelTamperedError, match="temperature"):
        Model.load(card)
    card = copy_model(tmp_path)
    _edit_card(card, lambda raw: raw.update(license_note="re-measured", metrics={}))
    assert Model.load(card).binding_warning == ""


def test_changed_weights_with_updated_hash_are_refused(tmp_path, unpinned):
    card = copy_model(tmp_path)
    model = onnx.load(str(tmp_path / "paper_cnn.onnx"))
    init = max(model.graph.initializer, key=lambda t: int(np.prod(t.dims)))
    arr = numpy_helper.to_array(init).copy()
    arr *= 1.5
    init.CopyFrom(numpy_helper.from_array(arr, init.name))
    _save_onnx(model, card)
    with pytest.raises(ModelTamperedError, match="weights were changed"):
        Model.load(card)


def test_swapped_onnx_without_binding_is_refused(tmp_path, unpinned):
    card = copy_model(tmp_path)
    model = onnx.load(str(tmp_path / "paper_cnn.onnx"))
    kept = [p for p in model.metadata_props if p.key != BINDING_KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    _save_onnx(model, card)
    with pytest.raises(ModelTamperedError, match="carries no binding"):
        Model.load(card)
    # A pair that never had a binding (a user's own model) is accepted, with a warning.
    _edit_card(card, lambda raw: raw["onnx"].pop("binding_sha256"))
    assert "not bound" in Model.load(card).binding_warning


def test_another_models_binding_is_refused(tmp_path, unpinned):
    card = copy_model(tmp_path)
    other = onnx.load(str(MODELS / "paper_cnn_int8.onnx"))
    _save_onnx(other, card)
    with pytest.raises(ModelTamperedError):
        Model.load(card)


def test_quantized_probe_tolerates_cpu_rounding_but_not_other_weights():
    """An int8 graph's probe moves by whole quantization steps between CPUs (1.36 measured on an AVX-512
    VNNI machine): accepted within a share of the recorded spread; logits of other weights are not."""
    from inference.binding import QUANTIZED_PROBE_SPREAD, verify_binding

    raw = json.loads((MODELS / "paper_cnn_int8.json").read_text())
    meta = {p.key: p.value for p in onnx.load(str(MODELS / "paper_cnn_int8.onnx")).metadata_props}
    probe = np.array(json.loads(meta[BINDING_KEY])["probe"]["logits"], dtype=np.float64)
    hw = (raw["input"]["height"], raw["input"]["width"])
    spread = float(np.ptp(probe))
    shifted = probe.copy()
    shifted[1] += 0.8 * QUANTIZED_PROBE_SPREAD * spread  # a CPU's rounding: one logit several steps off
    assert verify_binding(raw, meta, "q.onnx", lambda x: shifted[None], hw) == ""
    other = probe[::-1].copy()  # the same values in another order: what another model's weights give
    with pytest.raises(ModelTamperedError, match="weights do not give"):
        verify_binding(raw, meta, "q.onnx", lambda x: other[None], hw)
    # a float card keeps the strict tolerance for the same shift
    raw_float = json.loads((MODELS / "paper_cnn.json").read_text())
    meta_float = {p.key: p.value for p in onnx.load(str(MODELS / "paper_cnn.onnx")).metadata_props}
    probe_f = np.array(json.loads(meta_float[BINDING_KEY])["probe"]["logits"], dtype=np.float64)
    moved = probe_f.copy()
    moved[1] += 0.3
    with pytest.raises(ModelTamperedError, match="weights do not give"):
        verify_binding(raw_float, meta_float, "f.onnx", lambda x: moved[None],
                       (raw_float["input"]["height"], raw_float["input"]["width"]))
