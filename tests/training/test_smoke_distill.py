"""A few batches of the teacher -> student distillation pipeline (issue 3's groundwork), end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from training.models.triage_cnn import INPUT_HW

pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite_pytorch")


def run(stage: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "training.distill", stage, "--limit", "32", "--epochs", "1", "--max-batches", "1",
         "--calib-images", "16", "--out", str(tmp_path / "models"), "--runs", str(tmp_path / "runs")],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )


def test_teacher_then_student(tmp_path):
    proc = run("teacher", tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (tmp_path / "runs" / "teacher_logits.npz").is_file()
    proc = run("student", tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    card = json.loads((tmp_path / "models" / "triage_cnn.json").read_text())
    assert card["params"] <= 691_911 and card["macs"] <= 30_037_824
    assert (card["input"]["height"], card["input"]["width"]) == INPUT_HW
    assert 0.0 <= card["cam_in_lesion_mask"]["fraction"] <= 1.0
    import onnxruntime as ort

    sess = ort.InferenceSession(str(tmp_path / "models" / "triage_cnn.onnx"), providers=["CPUExecutionProvider"])
    assert [o.name for o in sess.get_outputs()] == ["logits", "cam"]


def test_several_teacher_caches_are_averaged_in_image_order(tmp_path):
    import numpy as np

    from training.distill import load_teacher_logits

    a = np.arange(3 * 4 * 7, dtype=np.float32).reshape(3, 4, 7)
    np.savez(tmp_path / "a.npz", logits=a, image_ids=np.array(["x", "y", "z"]))
    np.savez(tmp_path / "b.npz", logits=-a[::-1] + 2, image_ids=np.array(["z", "y", "x"]))  # other order
    out = load_teacher_logits([tmp_path / "a.npz", tmp_path / "b.npz"], ["y", "z", "x"])
    assert out.shape == (3, 4, 7) and out.dtype == np.float32
    assert np.allclose(out, 1.0)  # (a + (2 - a)) / 2 for every image, whatever order each cache used
    single = load_teacher_logits([tmp_path / "a.npz"], ["z", "x"])
    assert np.array_equal(single, a[[2, 0]])
