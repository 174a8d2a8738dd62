"""The shipped paper CNN: counted on its ONNX graph, and ONNX Runtime agrees with PyTorch on real images."""

from __future__ import annotations

import numpy as np
import pytest

from inference.card import ModelCard
from inference.image import decode_file
from inference.preprocess import preprocess
from tests.conftest import MODELS

onnx = pytest.importorskip("onnx")


@pytest.mark.parametrize("name", ["paper_cnn", "paper_cnn_int8"])
def test_counted_on_onnx_graph(name):
    from training.onnx_macs import count_macs, count_params

    path = MODELS / f"{name}.onnx"
    assert count_params(path) == 691_911
    assert count_macs(path) == 30_037_824
    card = ModelCard.load(path.with_suffix(".json"))
    assert card.raw["params"] == 691_911 and card.raw["macs"] == 30_037_824


def test_mac_counter_counts_what_it_sees(tmp_path):
    torch = pytest.importorskip("torch")
    from training.export import export_onnx
    from training.onnx_macs import count_macs, count_params

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.Flatten(), torch.nn.Linear(8 * 16 * 16, 5))
    export_onnx(net, tmp_path / "t.onnx", 16, 16)
    assert count_params(tmp_path / "t.onnx") == 3 * 8 * 9 + 8 + 8 * 256 * 5 + 5
    assert count_macs(tmp_path / "t.onnx") == 16 * 16 * 8 * 27 + 2048 * 5


def test_card_contents():
    card = ModelCard.load(MODELS / "paper_cnn.json")
    raw = card.raw
    test = raw["metrics"]["test"]
    for key in ("accuracy", "balanced_accuracy", "macro_auc", "melanoma_recall", "ece_15_bins_before_temperature",
                "ece_15_bins_after_temperature", "per_class", "confusion_matrix"):
        assert key in test
    assert set(test["per_class"]) == set(card.codes)
    assert sum(map(sum, test["confusion_matrix"]["rows_true_cols_pred"])) == test["n"]
    assert raw["input"]["height"] == raw["input"]["width"] == 64
    assert raw["training"]["seed"] is not None and raw["training"]["command"].startswith("python -m training.train")
    assert len(raw["split"]["sha256"]) == 64
    assert (MODELS / raw["confusion_png"]).is_file()
    assert raw["thresholds"]["validation"]["melanoma_sensitivity_referred"] >= 0.90


def test_onnx_matches_pytorch_on_real_images(fullsize_images):
    torch = pytest.importorskip("torch")
    from onnx import numpy_helper

    from inference.session import Model
    from training.models.paper_cnn import PaperCNN

    m = Model.load("paper_cnn")
    state = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy())
             for i in onnx.load(str(MODELS / "paper_cnn.onnx")).graph.initializer}
    net = PaperCNN()
    net.load_state_dict(state)
    net.eval()
    x = np.concatenate([preprocess(decode_file(p).rgb, m.card.spec) for p in fullsize_images[:16]])
    with torch.no_grad():
        ref = net(torch.from_numpy(x)).numpy()
    got = m.logits(x)
    assert np.abs(ref - got).max() < 1e-4
    assert np.abs(ref).max() > 0.1  # a real model, not zeros
