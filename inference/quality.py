"""Refuse what the model cannot assess: tiny, blank, heavily blurred, or not dermoscopy at all.

A classifier always answers, even for a photo of a cat; the gate is what lets the app say "cannot
assess" instead. Its "looks like dermoscopy" test is a one-class model: the Mahalanobis distance of a
few colour/texture statistics from those of the HAM10000 training images, with the cut-off set on
those images (training/fit_quality_gate.py writes assets/quality_gate.json). Rates measured on real
non-dermoscopic photos and on the test split are in the README.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from inference.resources import assets_dir

GATE_FILE = "quality_gate.json"
MIN_SIDE = 64  # pixels on the short side; HAM10000 itself is 450 px, its smallest copies 150 px
BLANK_STD = 4.0  # grey-level standard deviation on the 0..255 scale
FEATURE_NAMES = (
    "L_mean", "a_mean", "b_mean", "L_std", "a_std", "b_std", "log_grad", "sat_mean", "skin_frac",
    "border_minus_centre_L", "log_lap_var",
)


@dataclass(frozen=True)
class QualityVerdict:
    ok: bool
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return "; ".join(self.reasons)


def _small(rgb: np.ndarray, size: tuple[int, int] = (128, 96)) -> np.ndarray:
    h, w = rgb.shape[:2]
    if (w, h) == size:
        return rgb
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def features(rgb: np.ndarray) -> np.ndarray:
    """Colour and texture statistics of an 8-bit RGB image, on a fixed 128x96 copy (scale-free)."""
    small = _small(rgb)
    return _features(small, cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))


def _features(small: np.ndarray, grey_u8: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.float32)
    grey = grey_u8.astype(np.float32)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    grad = float(np.sqrt(gx * gx + gy * gy).mean())
    hue, sat, val = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    skin = ((hue <= 25) | (hue >= 150)) & (sat >= 20) & (val >= 40)
    h, w = grey.shape
    centre = grey[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].mean()
    border = (grey.sum() - grey[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].sum()) / (grey.size - (h // 2) * (w // 2))
    lap = float(cv2.Laplacian(grey, cv2.CV_32F).var())
    return np.array([
        lab[:, 0].mean(), lab[:, 1].mean(), lab[:, 2].mean(),
        lab[:, 0].std(), lab[:, 1].std(), lab[:, 2].std(),
        np.log1p(grad), sat.mean(), skin.mean(), border - centre, np.log1p(lap),
    ], dtype=np.float64)


class QualityGate:
    """Tiny / blank / blur / out-of-distribution checks with parameters fitted on training images."""

    def __init__(self, mean: np.ndarray, inv_cov: np.ndarray, max_distance: float, min_log_lap: float) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.inv_cov = np.asarray(inv_cov, dtype=np.float64)
        self.max_distance = float(max_distance)
        self.min_log_lap = float(min_log_lap)

    @classmethod
    def load(cls, path: Path | None = None) -> QualityGate:
        path = path or assets_dir() / GATE_FILE
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(np.array(raw["mean"]), np.array(raw["inv_cov"]), raw["max_distance"], raw["min_log_lap"])

    def distance(self, feats: np.ndarray) -> float:
        d = feats - self.mean
        return float(np.sqrt(max(d @ self.inv_cov @ d, 0.0)))

    def check(self, rgb: np.ndarray) -> QualityVerdict:
        h, w = rgb.shape[:2]
        if min(h, w) < MIN_SIDE:
            return QualityVerdict(False, (f"image too small ({w}x{h} px; at least {MIN_SIDE} px on the short side "
                                          "is needed)",))
        small = _small(rgb)
        grey_u8 = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        grey_std = float(grey_u8.std())
        if grey_std < BLANK_STD:
            return QualityVerdict(False, ("blank or solid-colour image: nothing to assess",),
                                  scores={"grey_std": grey_std})
        feats = _features(small, grey_u8)
        dist = self.distance(feats)
        scores = {"grey_std": round(grey_std, 2), "ood_distance": round(dist, 2),
                  "log_laplacian_var": round(float(feats[-1]), 3)}
        reasons = []
        if feats[-1] < self.min_log_lap:
            reasons.append("image too blurred to assess (refocus or retake)")
        if dist > self.max_distance:
            reasons.append(f"does not look like a dermoscopic image (distance {dist:.1f} from the training images;"
                           f" limit {self.max_distance:.1f})")
        return QualityVerdict(not reasons, tuple(reasons), scores=scores)
