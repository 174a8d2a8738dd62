"""Refuse what the model cannot assess: tiny, blank, blurred, or not dermoscopy at all.

A classifier always answers, even for a photo of a cat; the gate is what lets the app say "cannot
assess" instead. Its "looks like dermoscopy" test is discriminative, not one-class: a small MLP over
colour and texture statistics, trained on dermoscopy from five clinics and devices (with
device-imitating augmentation) against non-dermoscopic photos and synthetic images, plus a wide
Mahalanobis backstop for inputs unlike anything either side was fitted on. A one-class ellipse fitted
on HAM10000 alone refused half of another clinic's images; widened to all sources it let ordinary
photos through. Statistics are taken after Shades-of-Gray colour constancy, so a dermatoscope's
white balance or blue cast moves them little.

Blur is measured at the model's own input scale (96x72): "can the model see any detail", whatever the
file's resolution, so a sharp 84 px image passes and a defocused 12 MP one does not.
training/fit_quality_gate.py writes assets/quality_gate.json; the rates are in the README.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from inference.card_schema import FeatureGateSpec
from inference.resources import assets_dir

GATE_FILE = "quality_gate.json"
MIN_SIDE = 64  # pixels on the short side
BLANK_STD = 4.0  # grey-level standard deviation on the 0..255 scale
SMALL = (128, 96)  # statistics are taken on this copy (scale-free)
BLUR_SIZE = (96, 72)  # the model's input: blur is judged where the model looks
FEATURE_NAMES = (
    "L_mean", "a_mean", "b_mean", "L_std", "a_std", "b_std", "log_grad", "sat_mean", "skin_frac",
    "border_minus_centre_L", "log_lap_var",
    "raw_sat_mean", "raw_a_mean", "raw_b_mean",
    "hue_0", "hue_1", "hue_2", "hue_3", "hue_4", "hue_5", "hue_6", "hue_7",
    "dark_frac", "bright_frac", "grey_frac", "sat_p10", "sat_p90", "L_p05", "L_p95",
    "edge_frac", "corner_minus_centre_L", "colourfulness", "lap_over_grad", "centre_minus_border_a",
)
BLUR_ADVICE = "image too blurred to assess: refocus the dermatoscope on the lesion and retake it"
OOD_ADVICE = ("does not look like a dermoscopic image: use a dermoscopic photograph of a single skin lesion "
              "(contact or polarised dermatoscope)")


@dataclass(frozen=True)
class QualityVerdict:
    ok: bool
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return "; ".join(self.reasons)


def _resize(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    h, w = rgb.shape[:2]
    if (w, h) == size:
        return rgb
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def shades_of_gray(rgb: np.ndarray, p: float = 6.0) -> np.ndarray:
    """Shades-of-Gray colour constancy (Finlayson & Trezzi 2004): scale each channel so its p-norm is equal."""
    x = rgb.astype(np.float32)
    norm = np.power(np.mean(np.power(x.reshape(-1, 3) + 1.0, p), axis=0), 1.0 / p)
    gain = norm.mean() / np.maximum(norm, 1e-6)
    return np.clip(x * gain, 0, 255).astype(np.uint8)


def blur_score(rgb: np.ndarray) -> float:
    """log(1 + variance of the Laplacian) of the grey image at the model's input size."""
    grey = cv2.cvtColor(_resize(rgb, BLUR_SIZE), cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.log1p(cv2.Laplacian(grey, cv2.CV_32F).var()))


def features(rgb: np.ndarray) -> np.ndarray:
    """Colour and texture statistics of an 8-bit RGB image (see FEATURE_NAMES), on a 128x96 copy."""
    return _features(_resize(rgb, SMALL))


def _features(small: np.ndarray) -> np.ndarray:
    raw_hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.float32)
    raw_lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    cc = shades_of_gray(small)
    lab = cv2.cvtColor(cc, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    hsv = cv2.cvtColor(cc, cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.float32)
    grey = cv2.cvtColor(cc, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.sqrt(gx * gx + gy * gy)
    grad = float(mag.mean())
    hue, sat, val = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    skin = ((hue <= 25) | (hue >= 150)) & (sat >= 20) & (val >= 40)
    h, w = grey.shape
    inner = np.zeros((h, w), bool)
    inner[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = True
    g2 = grey.reshape(-1)
    centre, border = g2[inner.reshape(-1)].mean(), g2[~inner.reshape(-1)].mean()
    a2 = lab[:, 1]
    ch, cw = h // 6, w // 6
    corners = np.concatenate([grey[:ch, :cw].ravel(), grey[:ch, -cw:].ravel(), grey[-ch:, :cw].ravel(),
                              grey[-ch:, -cw:].ravel()]).mean()
    lap = float(cv2.Laplacian(grey, cv2.CV_32F).var())
    hist = np.bincount(np.minimum((hue / 22.5).astype(int), 7), weights=sat + 1.0, minlength=8)
    hist = hist / hist.sum()
    r, g, b = (cc.reshape(-1, 3).astype(np.float32)[:, i] for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    colourfulness = float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
    return np.array([
        lab[:, 0].mean(), lab[:, 1].mean(), lab[:, 2].mean(),
        lab[:, 0].std(), lab[:, 1].std(), lab[:, 2].std(),
        np.log1p(grad), sat.mean(), skin.mean(), border - centre, np.log1p(lap),
        raw_hsv[:, 1].mean(), raw_lab[:, 1].mean(), raw_lab[:, 2].mean(),
        *hist,
        (val < 30).mean(), (val > 240).mean(), (sat < 15).mean(), np.percentile(sat, 10), np.percentile(sat, 90),
        np.percentile(lab[:, 0], 5), np.percentile(lab[:, 0], 95),
        (mag > 40).mean(), corners - centre, colourfulness, np.log1p(lap) - 2 * np.log1p(grad),
        a2[inner.reshape(-1)].mean() - a2[~inner.reshape(-1)].mean(),
    ], dtype=np.float64)


@dataclass(frozen=True)
class Mlp:
    """Standardise, one hidden ReLU layer, sigmoid: P(dermoscopy). Small enough to run in numpy per image."""

    mean: np.ndarray
    std: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: float

    def prob(self, feats: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(feats) - self.mean) / self.std
        hidden = np.maximum(z @ self.w1 + self.b1, 0.0)
        logit = hidden @ self.w2 + self.b2
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -60, 60)))


class FeatureGate:
    """Second stage, after the model has run: does the model's own view of the image look like dermoscopy?

    Colour statistics cannot tell a cat, a fundus photograph or a stained slide from some lesions; the
    model's pooled features (ImageNet-initialised, then trained on five dermoscopy sources) can. The
    logistic regression and its cut-off are in the model card (training/feature_gate.py fits them)."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, w: np.ndarray, b: float, min_prob: float) -> None:
        self.mean, self.std = np.asarray(mean, np.float64), np.asarray(std, np.float64)
        self.w, self.b, self.min_prob = np.asarray(w, np.float64), float(b), float(min_prob)

    @classmethod
    def from_spec(cls, spec: FeatureGateSpec) -> FeatureGate:
        return cls(np.array(spec.mean), np.array(spec.std), np.array(spec.w), spec.b, spec.min_prob)

    def prob(self, feats: np.ndarray) -> np.ndarray:
        z = ((np.atleast_2d(feats) - self.mean) / self.std) @ self.w + self.b
        return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))

    def reason(self, prob: float) -> str | None:
        if prob >= self.min_prob:
            return None
        return f"{OOD_ADVICE} (model feature score {prob:.2f}, at least {self.min_prob:.2f})"


class QualityGate:
    """Tiny / blank / blur / not-dermoscopy checks with parameters fitted by training/fit_quality_gate.py."""

    def __init__(self, mlp: Mlp, min_prob: float, mean: np.ndarray, inv_cov: np.ndarray, max_distance: float,
                 min_blur: float) -> None:
        self.mlp = mlp
        self.min_prob = float(min_prob)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.inv_cov = np.asarray(inv_cov, dtype=np.float64)
        self.max_distance = float(max_distance)
        self.min_blur = float(min_blur)

    @classmethod
    def load(cls, path: Path | None = None) -> QualityGate:
        path = path or assets_dir() / GATE_FILE
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        if list(raw.get("features", [])) != list(FEATURE_NAMES):
            raise ValueError(f"{path}: gate was fitted on other features; refit with training/fit_quality_gate.py")
        m = raw["mlp"]
        mlp = Mlp(np.array(m["mean"]), np.array(m["std"]), np.array(m["w1"]), np.array(m["b1"]),
                  np.array(m["w2"]), float(m["b2"]))
        return cls(mlp, raw["min_prob"], np.array(raw["mean"]), np.array(raw["inv_cov"]), raw["max_distance"],
                   raw["min_blur"])

    def distance(self, feats: np.ndarray) -> float:
        d = feats - self.mean
        return float(np.sqrt(max(d @ self.inv_cov @ d, 0.0)))

    def check(self, rgb: np.ndarray) -> QualityVerdict:
        h, w = rgb.shape[:2]
        if min(h, w) < MIN_SIDE:
            return QualityVerdict(False, (f"image too small ({w}x{h} px; at least {MIN_SIDE} px on the short side "
                                          "is needed)",))
        small = _resize(rgb, SMALL)
        grey_std = float(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).std())
        if grey_std < BLANK_STD:
            return QualityVerdict(False, ("blank or solid-colour image: nothing to assess",),
                                  scores={"grey_std": grey_std})
        blur = blur_score(rgb)
        scores = {"grey_std": round(grey_std, 2), "sharpness": round(blur, 3)}
        if blur < self.min_blur:
            return QualityVerdict(False, (f"{BLUR_ADVICE} (sharpness {blur:.2f}; at least {self.min_blur:.2f})",),
                                  scores=scores)
        feats = _features(small)
        prob = float(self.mlp.prob(feats)[0])
        dist = self.distance(feats)
        scores.update(dermoscopy_score=round(prob, 4), ood_distance=round(dist, 2))
        if prob < self.min_prob or dist > self.max_distance:
            why = (f"dermoscopy score {prob:.2f}, at least {self.min_prob:.2f}" if prob < self.min_prob
                   else f"statistics far from any training image: distance {dist:.1f} > {self.max_distance:.1f}")
            return QualityVerdict(False, (f"{OOD_ADVICE} ({why})",), scores=scores)
        return QualityVerdict(True, scores=scores)
