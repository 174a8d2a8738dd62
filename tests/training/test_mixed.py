"""Issue 10's training pieces: the mixed-source smoke run, device augmentation, the melanoma-first policy."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT

torch = pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite_pytorch")


def test_mixed_smoke_run_writes_a_valid_card(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "training.mixed", "--limit", "32", "--epochs", "1", "--max-batches", "2",
         "--zoom-max", "1.4", "--aspect", "0.15", "--jpeg-p", "0.3", "--ema", "0.998",
         "--out", str(tmp_path)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    from inference.card_schema import validate_card
    from inference.referral import MELANOMA_FIRST

    raw = json.loads((tmp_path / "triage_cnn.json").read_text())
    doc = validate_card(raw)
    assert doc.referral_thresholds().kind == MELANOMA_FIRST
    assert doc.params <= 691_911 and doc.macs <= 30_037_824
    assert set(raw["metrics"]["sources_tensor"]) == {"test_ham", "test_pool", "isic2018"}
    assert "Derm7pt never used" in raw["training_data"]


def test_device_augment_keeps_shape_range_and_changes_pixels():
    from training.device_augment import device_augment

    gen = torch.Generator().manual_seed(0)
    x = torch.rand(16, 3, 72, 96)
    y = device_augment(x, gen)
    assert y.shape == x.shape and float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    assert float((y - x).abs().mean()) > 0.01
    from training.device_augment import circular_field

    black = circular_field(torch.ones(64, 3, 72, 96), torch.Generator().manual_seed(1), p=1.0)
    corners = black[:, :, 0, 0]
    assert float(corners.max()) < 0.5  # a round field leaves black corners


def test_jpeg_quality_blocks_the_image_and_keeps_its_colours():
    from training.device_augment import jpeg_quality

    gen = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 72), torch.linspace(0, 1, 96), indexing="ij")
    x = torch.stack([0.2 + 0.6 * xx, 0.3 + 0.2 * yy, 0.1 + 0.1 * xx * yy]).expand(8, 3, 72, 96).clone()
    x += torch.rand(x.shape, generator=gen) * 0.1  # texture that a low JPEG quality loses
    y = jpeg_quality(x, gen, p=1.0, lo=10, hi=10)
    assert y.shape == x.shape and float((y - x).abs().mean()) > 0.01
    # red stays red: the channels went through the encoder in the order it expects
    assert torch.allclose(y.mean(dim=(0, 2, 3)), x.mean(dim=(0, 2, 3)), atol=0.03)
    assert torch.equal(jpeg_quality(x, gen, p=0.0), x)


def test_jitter_affine_default_keeps_the_old_random_stream_and_zoom_shifts_views():
    from training.distill import jitter_affine

    x = torch.rand(8, 3, 72, 96, generator=torch.Generator().manual_seed(3))
    a = jitter_affine(x, torch.Generator().manual_seed(5))
    b = jitter_affine(x, torch.Generator().manual_seed(5), zoom_max=None, aspect=0.0)
    assert torch.equal(a, b)
    g = torch.Generator().manual_seed(5)
    c = jitter_affine(x, g, zoom_max=1.5, aspect=0.15, degrees=0.0, colour=0.0)
    assert c.shape == x.shape and not torch.allclose(c, a)
    # with no rotation, zoom or colour the image comes back as it was
    same = jitter_affine(x, torch.Generator().manual_seed(1), colour=0.0, scale=0.0, degrees=0.0)
    assert torch.allclose(same, x, atol=1e-5)


def test_melanoma_first_thresholds_meet_the_sensitivity_they_promise():
    from training.classes import CODES, MALIGNANT
    from training.metrics import choose_melanoma_first, policy_report

    rng = np.random.default_rng(0)
    n = 2000
    y = rng.integers(0, len(CODES), n)
    logits = rng.normal(size=(n, len(CODES)))
    logits[np.arange(n), y] += 1.5  # an imperfect classifier
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    thr = choose_melanoma_first(p, y, CODES, MALIGNANT, mel_sensitivity=0.95, urgent_specificity=0.9)
    assert thr["rule"] == "melanoma_first"
    rep = policy_report(p, y, CODES, MALIGNANT, thr)
    assert rep["melanoma_referred"] >= 0.95
    mel = CODES.index("mel")
    assert abs((p[y != mel, mel] >= thr["urgent"]).mean() - 0.10) < 0.01
    # refused images count as not referred
    none = policy_report(p, y, CODES, MALIGNANT, thr, accepted=np.zeros(n, bool))
    assert none["melanoma_referred"] == 0.0 and none["benign_referred"] == 0.0


def test_policy_priority_puts_melanoma_first():
    from inference.referral import MELANOMA_FIRST, Thresholds

    t = Thresholds(urgent=0.3, soon=0.1, kind=MELANOMA_FIRST)
    assert t.priority(0.95, p_mel=0.05) == "soon"  # a likely BCC: soon, not urgent
    assert t.priority(0.35, p_mel=0.31) == "urgent"  # suspected melanoma: urgent
    assert t.priority(0.05, p_mel=0.01) == "routine"
    assert "suspected melanoma" in t.explain(0.35, p_mel=0.31)


def test_derm7pt_reaches_only_the_external_evaluation():
    """Derm7pt is the external test: no loader that training, thresholds or the gate use returns it."""
    from training.sources import DERM7PT, external_items, ham_items, isic2018_items, pool_items

    used = [p for split in ("train", "val", "test") for p, _ in ham_items(split) + pool_items(split)]
    used += [p for p, _ in isic2018_items()]
    assert len(used) > 20_000 and not any(DERM7PT in p.parents for p in used)
    assert len(external_items()) == 987
    for module in ("mixed", "fit_quality_gate", "feature_gate"):  # they never call the external loader
        src = (ROOT / "training" / f"{module}.py").read_text()
        assert "external_items" not in src and "derm7pt_384px" not in src, module
