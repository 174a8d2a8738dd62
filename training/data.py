"""HAM10000 in memory: decoded once, resized by the app's own preprocessing, augmented in torch.

Images are resized with `inference.preprocess.resize_rgb` and normalised with the card's mean/std, so
training and the app cannot drift apart (tests/test_preprocess_parity.py checks the tensors match).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from inference.preprocess import PreprocessSpec, resize_rgb
from training.classes import CODES
from training.splits.make_split import DEFAULT_DATA, SPLIT_FILE, read_split


@dataclass
class SplitArrays:
    images: np.ndarray  # N x H x W x 3 uint8 RGB at model size
    labels: np.ndarray  # N int64, index into CODES
    image_ids: list[str]
    lesion_ids: list[str]


def load_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"cannot read {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load_split(spec: PreprocessSpec, data: Path = DEFAULT_DATA, split_file: Path = SPLIT_FILE,
               limit: int | None = None) -> dict[str, SplitArrays]:
    """Decode every image of the split file once, resized to the model's input size."""
    rows = read_split(split_file)
    out: dict[str, SplitArrays] = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        for name in ("train", "val", "test"):
            part = [r for r in rows if r["split"] == name][:limit]
            imgs = list(pool.map(lambda r: resize_rgb(load_rgb(data / "images" / f"{r['image_id']}.jpg"), spec),
                                 part))
            out[name] = SplitArrays(
                images=np.stack(imgs) if imgs else np.zeros((0, spec.height, spec.width, 3), np.uint8),
                labels=np.array([CODES.index(r["dx"]) for r in part], dtype=np.int64),
                image_ids=[r["image_id"] for r in part],
                lesion_ids=[r["lesion_id"] for r in part],
            )
    return out


def channel_stats(images: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean/std of the training images on the 0..1 scale (the paper's normalisation)."""
    x = images.reshape(-1, 3).astype(np.float64) / 255.0
    return tuple(round(float(v), 6) for v in x.mean(0)), tuple(round(float(v), 6) for v in x.std(0))


def to_tensor(images_u8: np.ndarray, spec: PreprocessSpec) -> torch.Tensor:
    """uint8 NHWC -> float NCHW scaled to 0..1 (no normalisation yet, so augmentation sees pixels)."""
    x = torch.from_numpy(np.ascontiguousarray(images_u8)).permute(0, 3, 1, 2).float().div_(255.0)
    if spec.channel_order == "BGR":
        x = x.flip(1)
    return x


def normalize(x01: torch.Tensor, spec: PreprocessSpec) -> torch.Tensor:
    mean = torch.tensor(spec.mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(spec.std, dtype=torch.float32).view(1, 3, 1, 1)
    return (x01 - mean) / std


def eval_transform(images_u8: np.ndarray, spec: PreprocessSpec) -> torch.Tensor:
    """What the model sees at test time; must equal inference.preprocess.normalize."""
    return normalize(to_tensor(images_u8, spec), spec)


def augment(x01: torch.Tensor, gen: torch.Generator, jitter: float = 0.1) -> torch.Tensor:
    """Flips, 90-degree rotations and small brightness/contrast/saturation jitter, per image.

    Dermoscopy has no canonical orientation, so every flip and right-angle turn is a real view.
    """
    n = x01.shape[0]
    out = x01.clone()
    hflip = torch.rand(n, generator=gen) < 0.5
    vflip = torch.rand(n, generator=gen) < 0.5
    out[hflip] = out[hflip].flip(3)
    out[vflip] = out[vflip].flip(2)
    if out.shape[2] == out.shape[3]:
        k = torch.randint(0, 4, (n,), generator=gen)
        for r in range(1, 4):
            m = k == r
            if m.any():
                out[m] = torch.rot90(out[m], r, dims=(2, 3))
    return colour_jitter(out, gen, jitter)


def colour_jitter(x01: torch.Tensor, gen: torch.Generator, amount: float) -> torch.Tensor:
    """Per-image brightness, contrast and saturation, each scaled by a factor in 1 +- amount."""
    n = x01.shape[0]
    b, c, s = (1 + (torch.rand(n, 1, 1, 1, generator=gen) * 2 - 1) * amount for _ in range(3))
    out = x01 * b
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = (out - mean) * c + mean
    gray = out.mean(dim=1, keepdim=True)
    out = (out - gray) * s + gray
    return out.clamp_(0.0, 1.0)
