"""Issue 23: a model claiming a shipped name must be the model this app ships (inference/shipped.py), byte
for byte, whatever its card says; a custom model runs, but says what it is."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from inference import strict_json
from inference.binding import BINDING_KEY
from inference.card import available_models
from inference.errors import ModelTamperedError
from inference.resources import models_dir
from inference.session import Model, sha256_file
from inference.shipped import CUSTOM_BOUND, CUSTOM_UNBOUND, SHIPPED, SHIPPED_MODELS, table_from_assets
from tests.conftest import FULLSIZE, MODELS, ROOT


def copy_model(tmp_path, name="triage_cnn"):
    for ext in (".onnx", ".json"):
        shutil.copy(MODELS / f"{name}{ext}", tmp_path / f"{name}{ext}")
    return tmp_path / f"{name}.json"


def edit_card(card, fn) -> None:
    raw = json.loads(card.read_text())
    fn(raw)
    card.write_text(json.dumps(raw, indent=2))


def save_onnx(model: onnx.ModelProto, card) -> None:
    """Write the changed ONNX file and update the card's sha256, as a careful tamperer would."""
    onnx_path = card.with_name(json.loads(card.read_text())["onnx"]["file"])
    onnx.save(model, str(onnx_path))
    edit_card(card, lambda raw: raw["onnx"].update(sha256=sha256_file(onnx_path)))


def issue_23_tamper(card) -> None:
    """Rename the ONNX binding key, update the card's sha256, drop its binding hash, swap mel and nv."""
    onnx_path = card.with_suffix(".onnx")
    model = onnx.load(str(onnx_path))
    for prop in model.metadata_props:
        if prop.key == BINDING_KEY:
            prop.key = "renamed.binding"
    save_onnx(model, card)

    def swap(raw):
        raw["onnx"].pop("binding_sha256")
        classes = raw["classes"]
        i, j = [k for k, c in enumerate(classes) if c["code"] in ("mel", "nv")]
        classes[i], classes[j] = classes[j], classes[i]

    edit_card(card, swap)


def flip_one_bit(card, bit: int) -> None:
    """Flip bit `bit` (0: lowest mantissa bit, 30: highest exponent bit) of one weight of the first convolution
    (it sees the probe's random input directly, so no ReLU can hide the change)."""
    onnx_path = card.with_name(json.loads(card.read_text())["onnx"]["file"])
    model = onnx.load(str(onnx_path))
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    init = next(t for t in model.graph.initializer if t.name == conv.input[1])
    arr = numpy_helper.to_array(init).copy()
    flat = arr.reshape(-1).view(np.uint32)
    k = int(np.argmax(np.abs(arr.reshape(-1))))
    flat[k] ^= np.uint32(1 << bit)
    init.CopyFrom(numpy_helper.from_array(arr, init.name))
    save_onnx(model, card)


def test_table_is_the_shipped_assets():
    """Retrained or re-bound a shipped model? `python -m inference.shipped` prints the new table."""
    assert set(SHIPPED_MODELS) == set(available_models()), table_from_assets(models_dir())
    for name, ref in SHIPPED_MODELS.items():
        raw = json.loads((MODELS / f"{name}.json").read_text())
        assert (raw["version"], raw["onnx"]["sha256"], raw["onnx"]["binding_sha256"]) == (
            ref.version, ref.onnx_sha256, ref.binding_sha256), table_from_assets(models_dir())
        assert sha256_file(MODELS / f"{name}.onnx") == ref.onnx_sha256
        assert Model.load(name).binding_status == SHIPPED


def test_every_shipped_card_is_strict_json():
    """NaN / Infinity are not JSON: a strict parser (jq, a browser) would refuse the card."""
    for card in sorted(MODELS.glob("*.json")) + [MODELS.parent / "quality_gate.json"]:
        text = card.read_text(encoding="utf-8")
        strict_json.loads_strict(text)
        json.loads(text, parse_constant=lambda name, card=card: pytest.fail(f"{card.name} holds {name}"))


def test_strict_writer_writes_null_and_never_nan(tmp_path):
    assert strict_json.dumps({"a": float("nan"), "b": [float("inf"), 1.5]}) == '{"a": null, "b": [null, 1.5]}'
    with pytest.raises(ValueError):
        strict_json.loads_strict('{"a": NaN}')
    assert strict_json.loads('{"a": NaN}') == {"a": None}
    assert strict_json.dumps({"p": np.float32("nan"), "m": np.array([1.0, np.inf])}) == '{"p": null, "m": [1.0, null]}'


def test_issue_23_tamper_is_refused_by_name(tmp_path):
    card = copy_model(tmp_path)
    issue_23_tamper(card)
    with pytest.raises(ModelTamperedError, match=r"model 'triage_cnn' .* is not the triage_cnn this DermTriage ships"):
        Model.load(card)


def test_issue_23_tamper_makes_scan_exit_3_naming_the_model(tmp_path):
    (tmp_path / "m").mkdir()
    card = copy_model(tmp_path / "m")
    issue_23_tamper(card)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(sorted(FULLSIZE.glob("*.jpg"))[0], folder / "a.jpg")
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "scan", str(folder), "--out", str(tmp_path / "r.csv"),
                           "--model", str(card), "--quiet"], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={"DERMTRIAGE_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 3, proc.stderr
    assert "triage_cnn" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("name", ["triage_cnn", "paper_cnn"])
def test_one_bit_weight_flip_is_refused(tmp_path, name):
    """The lowest mantissa bit of one weight (logits move ~1e-7: no probe can see it), sha256 updated."""
    card = copy_model(tmp_path, name)
    flip_one_bit(card, 0)
    with pytest.raises(ModelTamperedError, match=f"is not the {name} this DermTriage ships.*sha256"):
        Model.load(card)


def test_renamed_card_file_still_claims_the_name(tmp_path):
    card = copy_model(tmp_path)
    flip_one_bit(card, 0)
    renamed = card.with_name("clinic_model.json")
    card.rename(renamed)
    with pytest.raises(ModelTamperedError, match="is not the triage_cnn"):
        Model.load(renamed)  # its card's name is still triage_cnn


def _custom(tmp_path, bind: bool):
    """paper_cnn under another name: a clinic's own model (re-bound with training.bind_card when `bind`)."""
    card = copy_model(tmp_path, "paper_cnn")
    onnx_path = tmp_path / "clinic_cnn.onnx"
    card.with_suffix(".onnx").rename(onnx_path)
    custom = tmp_path / "clinic_cnn.json"
    card.rename(custom)
    edit_card(custom, lambda raw: raw["onnx"].update(file=onnx_path.name))
    if bind:
        edit_card(custom, lambda raw: raw.update(name="clinic_cnn"))
        from training.bind_card import bind as bind_card

        bind_card(custom)
    else:
        model = onnx.load(str(onnx_path))
        kept = [p for p in model.metadata_props if p.key != BINDING_KEY]
        del model.metadata_props[:]
        model.metadata_props.extend(kept)
        save_onnx(model, custom)
        edit_card(custom, lambda raw: (raw.update(name="clinic_cnn"), raw["onnx"].pop("binding_sha256")))
    return custom


def test_custom_models_run_and_say_what_they_are(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "u").mkdir()
    bound = Model.load(_custom(tmp_path / "b", bind=True))
    assert bound.binding_status == CUSTOM_BOUND and "Custom model clinic_cnn" in bound.custom_model_notice
    unbound = Model.load(_custom(tmp_path / "u", bind=False))
    assert unbound.binding_status == CUSTOM_UNBOUND and "NOT bound" in unbound.custom_model_notice
    assert Model.load("triage_cnn").custom_model_notice == ""


def test_custom_bound_model_probe_is_strict(tmp_path):
    """A custom float model has only its probe: an exponent-bit flip (sha256 updated) is refused; a flip of the
    lowest mantissa bit is below any CPU tolerance (said in inference/binding.py) and is not."""
    card = _custom(tmp_path, bind=True)
    flip_one_bit(card, 30)
    with pytest.raises(ModelTamperedError, match="weights do not give"):
        Model.load(card)
