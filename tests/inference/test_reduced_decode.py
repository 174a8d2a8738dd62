"""Decoding large JPEGs at reduced size keeps the probabilities of the full decode within 0.01."""

from __future__ import annotations

import numpy as np

from inference.image import decode_file
from inference.preprocess import preprocess


def test_reduced_decode_matches_full(model, fullsize_images):
    spec = model.card.spec
    diffs, factors = [], set()
    for p in fullsize_images:
        full = decode_file(p)
        red = decode_file(p, target_hw=(spec.height, spec.width))
        factors.add(red.reduced)
        pf = model.probabilities(model.logits(preprocess(full.rgb, spec)))
        pr = model.probabilities(model.logits(preprocess(red.rgb, spec)))
        diffs.append(float(np.abs(pf - pr).max()))
    print(f"\nreduced decode (factor {sorted(factors)}): max |dp| {max(diffs):.4f}, mean {np.mean(diffs):.4f}")
    assert factors == {2}
    assert max(diffs) <= 0.01
