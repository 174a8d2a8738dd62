"""Reduced-size JPEG decoding must not change what the model says (within 0.01 probability).

Measured: decoding the 600x450 images at 1/2 scale moved some probabilities by up to 0.015, so the
rule only reduces when the reduced image stays at least 4x the model input (min_ratio=4). On the 105
full-size images that means a full decode; on a camera-size 2400x1800 JPEG it means 1/4 scale.
"""

from __future__ import annotations

import cv2
import numpy as np

from inference.image import decode_bytes, decode_file
from inference.preprocess import preprocess


def probs(model, rgb):
    return model.probabilities(model.logits(preprocess(rgb, model.card.spec)))


def test_default_rule_keeps_probabilities_on_fullsize_images(model, fullsize_images):
    spec = model.card.spec
    diffs, factors, forced = [], set(), []
    for p in fullsize_images:
        full = decode_file(p)
        red = decode_file(p, target_hw=(spec.height, spec.width))
        factors.add(red.reduced)
        diffs.append(float(np.abs(probs(model, full.rgb) - probs(model, red.rgb)).max()))
        half = decode_file(p, target_hw=(spec.height, spec.width), min_ratio=1.0)
        forced.append(float(np.abs(probs(model, full.rgb) - probs(model, half.rgb)).max()))
    print(f"\ndefault rule (factor {sorted(factors)}): max |dp| {max(diffs):.4f}; "
          f"forced 1/{half.reduced} decode: max |dp| {max(forced):.4f}, mean {np.mean(forced):.4f}")
    assert max(diffs) <= 0.01


def test_camera_size_jpeg_is_reduced_and_keeps_probabilities(model, fullsize_images):
    spec = model.card.spec
    diffs = []
    for p in fullsize_images[:20]:
        big = cv2.resize(cv2.imread(str(p)), (2400, 1800), interpolation=cv2.INTER_CUBIC)
        data = cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
        full = decode_bytes(data)
        red = decode_bytes(data, target_hw=(spec.height, spec.width))
        assert red.reduced == 4 and red.rgb.shape == (450, 600, 3)
        diffs.append(float(np.abs(probs(model, full.rgb) - probs(model, red.rgb)).max()))
    print(f"\n2400x1800 JPEGs at 1/4 scale: max |dp| {max(diffs):.4f}")
    assert max(diffs) <= 0.01
