"""A few batches of the real training pipeline end to end (CI does not train the shipped model)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytest.importorskip("torch")


def test_smoke_training_writes_model_and_card(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "training.train", "--limit", "64", "--epochs", "1", "--max-batches", "2",
         "--calib-images", "32", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    card = json.loads((tmp_path / "paper_cnn.json").read_text())
    assert card["params"] == 691_911 and card["macs"] == 30_037_824
    assert (tmp_path / "paper_cnn_int8.onnx").is_file() and (tmp_path / "paper_cnn_confusion.png").is_file()
    assert "TEST (lesion-grouped" in proc.stdout
