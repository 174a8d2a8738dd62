"""The two-stage quality gate, measured as the app runs it (colour/blur gate, then the default model's
feature gate): it refuses non-dermoscopic photos it was never fitted on and keeps real lesions from every
source, Derm7pt (another device, never used for fitting) included.

The rates printed here are the ones recorded in the README.
"""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest

from inference.quality import QualityGate
from tests.conftest import DATA, HAM, ROOT
from training.negatives import as_rgb8  # the same 8-bit RGB conversion the gate's fitting negatives get

skdata = pytest.importorskip("skimage.data")

# scikit-image's bundled sample photos (no download): none of them is dermoscopy.
PHOTOS = ["astronaut", "brick", "camera", "cat", "clock", "coffee", "coins", "colorwheel", "grass", "gravel",
          "horse", "hubble_deep_field", "immunohistochemistry", "logo", "microaneurysms", "moon", "page", "retina",
          "rocket", "text", "checkerboard"]



def non_dermoscopy_images() -> dict[str, np.ndarray]:
    out = {name: as_rgb8(getattr(skdata, name)()) for name in PHOTOS}
    left, right, _ = skdata.stereo_motorcycle()
    out["motorcycle"] = as_rgb8(left)
    rng = np.random.default_rng(0)
    out["uniform_noise"] = rng.integers(0, 256, (450, 600, 3), dtype=np.uint8)
    out["gaussian_noise"] = np.clip(rng.normal(128, 40, (450, 600, 3)), 0, 255).astype(np.uint8)
    out["salt_pepper"] = (rng.random((450, 600, 1)) > 0.5).astype(np.uint8).repeat(3, 2) * 255
    for name, colour in (("white", 255), ("black", 0), ("grey", 128)):
        out[f"blank_{name}"] = np.full((450, 600, 3), colour, np.uint8)
    out["blank_skin_tone"] = np.full((450, 600, 3), (224, 172, 150), np.uint8)
    out["noisy_flat"] = np.clip(np.full((450, 600, 3), 200.0) + rng.normal(0, 1, (450, 600, 3)), 0, 255).astype(
        np.uint8)
    return out


@pytest.fixture(scope="module")
def gate() -> QualityGate:
    return QualityGate.load()


@pytest.fixture(scope="module")
def runner(gate):
    from inference.runner import BatchRunner
    from inference.session import Model

    model = Model.load()  # the default model: its card carries the feature gate (stage 2)
    assert model.card.doc is not None and model.card.doc.feature_gate is not None
    return BatchRunner(model, gate, batch_size=64)


def test_non_dermoscopy_refused(runner, tmp_path):
    imgs = non_dermoscopy_images()
    for k, v in imgs.items():
        cv2.imwrite(str(tmp_path / f"{k}.png"), cv2.cvtColor(v, cv2.COLOR_RGB2BGR))
    results = {r.path.rsplit("/", 1)[-1][:-4]: r for r in runner.run(sorted(tmp_path.glob("*.png")))}
    passed = [k for k, r in results.items() if r.status == "ok"]
    rate = 1 - len(passed) / len(imgs)
    print(f"\nnon-dermoscopy refused: {len(imgs) - len(passed)}/{len(imgs)} = {rate:.1%}; passed: {passed}")
    assert len(results) == len(imgs)
    assert rate >= 0.95
    for k, r in results.items():
        if r.status != "ok":
            assert r.message and r.probabilities is None, k  # refused: a reason, never made-up probabilities
    assert "blank" in results["blank_white"].message


def _refusals(runner, paths: list) -> list[tuple[str, str]]:
    return [(r.path.rsplit("/", 1)[-1], r.message) for r in runner.run(paths) if r.status != "ok"]


def _split_paths(split_file: str, split: str) -> list:
    with open(ROOT / "training" / "splits" / split_file) as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == split]
    if split_file == "ham10000.csv":
        return [HAM / "images" / f"{r['image_id']}.jpg" for r in rows]
    return [DATA / r["folder"] / "images" / f"{r['image_id']}.jpg" for r in rows]


@pytest.mark.parametrize("name, paths, limit", [
    ("HAM10000 test split", lambda: _split_paths("ham10000.csv", "test"), 0.01),
    ("BCN/MSK/ISIC test split", lambda: _split_paths("isic2019_pool.csv", "test"), 0.02),
    # Derm7pt: another source and device, never used to fit either stage -- measured here, not tuned on.
    # Issue 10 asks for <= 3%; the shipped gate refuses 4.0% (README), so this guards against regression
    # (it was 54% with the HAM10000-only gate) without claiming the target.
    ("Derm7pt (external)", lambda: sorted((DATA / "derm7pt_384px" / "images").glob("*.jpg")), 0.05),
])
def test_dermoscopy_from_every_source_mostly_accepted(runner, name, paths, limit):
    files = paths()
    assert len(files) > 900, name
    refused = _refusals(runner, files)
    rate = len(refused) / len(files)
    print(f"\n{name} refused: {len(refused)}/{len(files)} = {rate:.2%}; e.g. {refused[:3]}")
    assert rate <= limit


def test_fit_photos_are_not_the_measured_photos():
    """The photos above measure the gate on images it never saw: none of them is a fitting negative."""
    from training.negatives import FIT_SKIMAGE

    assert not set(FIT_SKIMAGE) & (set(PHOTOS) | {"stereo_motorcycle", "chelsea"})


def test_blurred_lesion_refused_as_blur_with_advice(gate, fullsize_images):
    rgb = cv2.cvtColor(cv2.imread(str(fullsize_images[0])), cv2.COLOR_BGR2RGB)
    assert gate.check(rgb).ok
    v = gate.check(cv2.GaussianBlur(rgb, (0, 0), 12))
    assert not v.ok and "blurred" in v.message and "retake" in v.message
    assert "dermoscopic" not in v.message


def test_heavy_blur_refused(gate, fullsize_images):
    refused = 0
    for p in fullsize_images[:40]:
        rgb = cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
        v = gate.check(cv2.GaussianBlur(rgb, (0, 0), 12))
        refused += not v.ok
        if not v.ok:
            assert "blurred" in v.message  # refused as blur, not as "not dermoscopy"
    print(f"\nheavily blurred (sigma 12 px) refused: {refused}/40")
    assert refused >= 36  # 37/40 measured (README); the rest pass as sharp enough
