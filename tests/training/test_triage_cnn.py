"""The shipped student (triage_cnn, the default): within the paper's budget on its ONNX graph, better than
the paper CNN on the same lesion-grouped test split, and with activation maps that decompose its logits."""

from __future__ import annotations

import numpy as np
import pytest

from inference.card import DEFAULT_MODEL, ModelCard
from inference.image import decode_file
from inference.preprocess import preprocess
from tests.conftest import MODELS

pytest.importorskip("onnx")

# The paper CNN as exported here: its budget, counted the paper's way (Conv + Gemm/MatMul MACs).
BUDGET_PARAMS, BUDGET_MACS = 691_911, 30_037_824


@pytest.mark.parametrize("name", ["triage_cnn", "triage_cnn_int8"])
def test_student_within_the_paper_budget(name):
    from training.onnx_macs import count_macs, count_params

    path = MODELS / f"{name}.onnx"
    if name.endswith("int8") and not path.exists():
        pytest.skip("int8 student not shipped (it lost more than 1 point of balanced accuracy)")
    params, macs = count_params(path), count_macs(path)
    assert params <= BUDGET_PARAMS, params
    assert macs <= BUDGET_MACS, macs
    card = ModelCard.load(path.with_suffix(".json"))
    assert (card.raw["params"], card.raw["macs"]) == (params, macs)


def test_paper_cnn_defines_the_budget():
    from training.onnx_macs import count_macs, count_params

    path = MODELS / "paper_cnn.onnx"
    assert (count_params(path), count_macs(path)) == (BUDGET_PARAMS, BUDGET_MACS)


def test_student_is_the_default_and_beats_the_paper_cnn():
    """On the HAM10000 test split. v4 (trained on five sources for other devices) ties the HAM10000-only
    paper CNN on plain accuracy (75.5% vs 75.6%, README) and beats it on everything class-balanced."""
    assert DEFAULT_MODEL == "triage_cnn"
    student = ModelCard.load(MODELS / "triage_cnn.json").raw["metrics"]["test"]
    paper = ModelCard.load(MODELS / "paper_cnn.json").raw["metrics"]["test"]
    assert student["n"] == paper["n"]  # the same lesion-grouped test split
    for key in ("balanced_accuracy", "macro_auc", "melanoma_recall"):
        assert student[key] > paper[key], key
    assert student["accuracy"] >= paper["accuracy"] - 0.01
    assert student["ece_15_bins_after_temperature"] < paper["ece_15_bins_after_temperature"]


def test_student_cam_output_decomposes_the_logits(fullsize_images):
    from inference.session import Model

    model = Model.load("triage_cnn")
    assert model.has_attention
    x = np.concatenate([preprocess(decode_file(p).rgb, model.card.spec) for p in fullsize_images[:4]])
    logits, cam = model.infer(x)
    assert cam is not None and cam.shape[:2] == (4, 7) and cam.ndim == 4
    # The classifier is linear after global average pooling, so the maps' means are the logits.
    assert np.allclose(cam.mean(axis=(2, 3)), logits, atol=1e-3)
    card = model.card.raw
    assert 0.0 < card["cam_in_lesion_mask"]["fraction"] <= 1.0 and card["cam_in_lesion_mask"]["n"] > 1000
    assert card["thresholds"]["rule"] == "melanoma_first"
    assert card["thresholds"]["validation"]["melanoma_referred"] >= 0.95  # chosen for it on pooled validation


def test_runner_keeps_the_top_class_map(fullsize_images):
    from inference.runner import DECODE_MIN_RATIO, BatchRunner, decode_target
    from inference.session import Model

    model = Model.load("triage_cnn")
    res = BatchRunner(model).classify(fullsize_images[0])
    assert res.ok and res.attention is not None
    # the runner's own decode: the smallest DCT scale covering the gate and the model (1/4 here)
    x = preprocess(decode_file(fullsize_images[0], decode_target(model.card.spec), min_ratio=DECODE_MIN_RATIO).rgb,
                   model.card.spec)
    logits, cam = model.infer(x)
    k = int(np.argmax(logits[0]))
    assert res.top_class == model.card.codes[k]
    assert np.allclose(np.array(res.attention), cam[0, k], atol=1e-3)


def test_teacher_card():
    from training.onnx_macs import count_macs

    card = ModelCard.load(MODELS / "effnet_lite0.json")
    assert card.raw["macs"] == count_macs(card.onnx_path) and card.raw["macs"] > 100 * 10**6
