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
SMALL = (96, 72)  # statistics are taken on this copy: the model's own input size (one small image)
BLUR_SIZE = SMALL  # the model's input: blur is judged where the model looks
FEATURE_NAMES = (
    "L_mean", "a_mean", "b_mean", "L_std", "a_std", "b_std", "log_grad", "sat_mean", "skin_frac",
    "border_minus_centre_L", "log_lap_var",
    "raw_sat_mean", "raw_a_of_mean", "raw_b_of_mean",
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


_POW6 = (np.arange(256, dtype=np.float64) + 1.0) ** 6  # Shades of Gray's p = 6, by table: no per-pixel power
_SAT_WEIGHT = np.arange(256, dtype=np.float32) + 1.0
_OPPONENT = np.array([[1.0, -1.0, 0.0], [0.5, 0.5, -1.0]])


def _masks(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Centre quarter and the four corner patches (uint8 masks for cv2.mean)."""
    inner = np.zeros((h, w), np.uint8)
    inner[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = 1
    corners = np.zeros((h, w), np.uint8)
    ch, cw = h // 6, w // 6
    corners[:ch, :cw] = corners[:ch, -cw:] = corners[-ch:, :cw] = corners[-ch:, -cw:] = 1
    return inner, corners


_INNER, _CORNERS = _masks(SMALL[1], SMALL[0])
_INNER_COUNT = int(_INNER.sum())


def _hist(img: np.ndarray, channel: int = 0) -> np.ndarray:
    return cv2.calcHist([img], [channel], None, [256], [0, 256]).ravel()


def _quantile(hist: np.ndarray, q: float) -> float:
    """The q-quantile of an 8-bit channel from its histogram (the value where the count first reaches q)."""
    cum = np.cumsum(hist)
    return float(np.searchsorted(cum, q * cum[-1]))


def shades_of_gray(rgb: np.ndarray) -> np.ndarray:
    """Shades-of-Gray colour constancy (Finlayson & Trezzi 2004, p = 6): scale each channel so its p-norm is
    equal. The p-th powers come from three 256-bin histograms and a table, not a power per pixel."""
    sums = np.array([_hist(rgb, c) @ _POW6 for c in range(3)])
    norm = np.power(sums / (rgb.shape[0] * rgb.shape[1]), 1.0 / 6.0)
    gain = norm.mean() / np.maximum(norm, 1e-6)
    return cv2.transform(rgb, np.diag(gain).astype(np.float32))  # rounds and saturates to uint8


def blur_score(rgb: np.ndarray) -> float:
    """log(1 + variance of the Laplacian) of the grey image at the model's input size."""
    return _blur(cv2.cvtColor(_resize(rgb, BLUR_SIZE), cv2.COLOR_RGB2GRAY))


def _blur(grey: np.ndarray) -> float:
    _, std = cv2.meanStdDev(cv2.Laplacian(grey, cv2.CV_32F))
    return float(np.log1p(std[0, 0] ** 2))


def features(rgb: np.ndarray) -> np.ndarray:
    """Colour and texture statistics of an 8-bit RGB image (see FEATURE_NAMES), on a 96x72 copy."""
    return _features(_resize(rgb, SMALL))


def _features(small: np.ndarray) -> np.ndarray:
    """The statistics on the 96x72 copy, with OpenCV reductions and histograms (no sorting, few temporaries):
    about 0.6 ms on one core, most of it outside the GIL, so two decode threads really run two gates at once."""
    n = small.shape[0] * small.shape[1]
    raw_sat = cv2.mean(cv2.cvtColor(small, cv2.COLOR_RGB2HSV))[1]
    # a*, b* of the mean raw colour: OpenCV's 8-bit RGB->Lab walks a large table, so a second whole-image
    # conversion cost more (cache misses) than all the rest of the gate; one pixel costs nothing
    raw_lab = cv2.cvtColor(np.uint8([[np.round(cv2.mean(small)[:3])]]), cv2.COLOR_RGB2LAB)[0, 0].astype(np.float64)
    cc = shades_of_gray(small)
    lab = cv2.cvtColor(cc, cv2.COLOR_RGB2LAB)
    hsv = cv2.cvtColor(cc, cv2.COLOR_RGB2HSV)
    grey = cv2.cvtColor(cc, cv2.COLOR_RGB2GRAY)
    lab_mean, lab_std = (v[:, 0] for v in cv2.meanStdDev(lab))
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    mag = cv2.magnitude(gx, gy)
    grad = cv2.mean(mag)[0]
    skin = cv2.countNonZero(cv2.inRange(hsv, (0, 20, 40), (25, 255, 255))) + cv2.countNonZero(
        cv2.inRange(hsv, (150, 20, 40), (255, 255, 255)))
    centre, border = _inside_outside(grey)
    a_centre, a_border = _inside_outside(np.ascontiguousarray(lab[..., 1]))
    corners = cv2.mean(grey, _CORNERS)[0]
    lap = _blur(grey)
    # hue in 8 bins of 22.5 degrees, each pixel weighted by its saturation + 1 (a 2-D histogram, then a dot)
    hist = cv2.calcHist([hsv], [0, 1], None, [8, 256], [0, 180, 0, 256]) @ _SAT_WEIGHT
    hist = hist / hist.sum()
    s_hist, v_hist, l_hist = _hist(hsv, 1), _hist(hsv, 2), _hist(lab, 0)
    # opponent channels r - g and (r + g) / 2 - b: their means and spreads from the RGB mean and covariance
    x = cc.reshape(-1, 3).astype(np.float64)  # float64: E[x^2] - mean^2 must not lose the spread
    mean = np.array(cv2.mean(cc)[:3])
    cov = (x.T @ x) / n - np.outer(mean, mean)
    rg_m, yb_m = _OPPONENT @ mean
    rg_s, yb_s = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", _OPPONENT, cov, _OPPONENT), 0.0))
    colourfulness = float(np.hypot(rg_s, yb_s) + 0.3 * np.hypot(rg_m, yb_m))
    return np.array([
        *lab_mean, *lab_std,
        np.log1p(grad), cv2.mean(hsv)[1], skin / n, border - centre, lap,
        raw_sat, raw_lab[1], raw_lab[2],
        *hist,
        v_hist[:30].sum() / n, v_hist[241:].sum() / n, s_hist[:15].sum() / n,
        _quantile(s_hist, 0.10), _quantile(s_hist, 0.90), _quantile(l_hist, 0.05), _quantile(l_hist, 0.95),
        cv2.countNonZero(cv2.threshold(mag, 40, 1, cv2.THRESH_BINARY)[1]) / n, corners - centre, colourfulness,
        lap - 2 * np.log1p(grad), a_centre - a_border,
    ], dtype=np.float64)


def _inside_outside(channel: np.ndarray) -> tuple[float, float]:
    """Mean of the centre quarter and of the rest."""
    inside = cv2.mean(channel, _INNER)[0]
    total = cv2.sumElems(channel)[0]
    return inside, (total - inside * _INNER_COUNT) / (channel.size - _INNER_COUNT)


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
        if list(raw.get("features", [])) != list(FEATURE_NAMES) or list(raw.get("size", [])) != list(SMALL):
            raise ValueError(f"{path}: gate was fitted on other features or another image size; refit with "
                             "training/fit_quality_gate.py")
        m = raw["mlp"]
        mlp = Mlp(np.array(m["mean"]), np.array(m["std"]), np.array(m["w1"]), np.array(m["b1"]),
                  np.array(m["w2"]), float(m["b2"]))
        return cls(mlp, raw["min_prob"], np.array(raw["mean"]), np.array(raw["inv_cov"]), raw["max_distance"],
                   raw["min_blur"])

    def distance(self, feats: np.ndarray) -> float:
        d = feats - self.mean
        return float(np.sqrt(max(d @ self.inv_cov @ d, 0.0)))

    def check(self, rgb: np.ndarray, small: np.ndarray | None = None) -> QualityVerdict:
        """`small` is the image already at 96x72 when the caller has it (the runner's model input for a
        96x72 model): the gate then adds no resize of its own."""
        h, w = rgb.shape[:2]
        if min(h, w) < MIN_SIDE:
            return QualityVerdict(False, (f"image too small ({w}x{h} px; at least {MIN_SIDE} px on the short side "
                                          "is needed)",))
        if small is None or small.shape[:2] != (SMALL[1], SMALL[0]):
            small = _resize(rgb, SMALL)
        grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        grey_std = float(cv2.meanStdDev(grey)[1][0, 0])
        if grey_std < BLANK_STD:
            return QualityVerdict(False, ("blank or solid-colour image: nothing to assess",),
                                  scores={"grey_std": grey_std})
        blur = _blur(grey)  # SMALL is BLUR_SIZE: the same copy
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
