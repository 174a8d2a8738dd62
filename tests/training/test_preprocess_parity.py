"""Training's transform and the app's preprocessing give the same tensor for the same real image."""

from __future__ import annotations

import numpy as np
import pytest

from inference.card import ModelCard
from inference.image import decode_file
from inference.preprocess import normalize, resize_rgb
from tests.conftest import HAM, MODELS

torch = pytest.importorskip("torch")


def test_training_and_inference_tensors_match(fullsize_images):
    from training.data import eval_transform, load_rgb

    spec = ModelCard.load(MODELS / "paper_cnn.json").spec
    paths = sorted((HAM / "images").glob("*.jpg"))[:24] + fullsize_images[:8]
    train_side = np.stack([resize_rgb(load_rgb(p), spec) for p in paths])  # training/data.py's loader
    t = eval_transform(train_side, spec).numpy()
    app = np.concatenate([normalize(resize_rgb(decode_file(p).rgb, spec), spec) for p in paths])
    assert t.shape == app.shape == (len(paths), 3, spec.height, spec.width)
    assert np.abs(t - app).max() < 1e-5


def test_augment_keeps_range_and_shape():
    from training.data import augment

    gen = torch.Generator().manual_seed(0)
    x = torch.rand(8, 3, 64, 64, generator=gen)
    y = augment(x, gen)
    assert y.shape == x.shape and float(y.min()) >= 0 and float(y.max()) <= 1
    assert not torch.equal(x, y)
