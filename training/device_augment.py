"""Augmentations that imitate other dermatoscopes, so the model learns the lesion and not the device.

Each training source has its own look: HAM10000's polarised Vienna/Queensland frames, BCN20000's
black circular field, the 84 px squashed copies of the ISIC archive. A clinic's own device will have
another. Every image in a batch gets an independent draw of: a lower resolution and back (so that
"small image" cannot stand for a class), a circular field with black corners, a white-balance / tint
/ gamma shift, an illumination gradient, blur, sensor noise and hair. All of it runs on the 0..1 NCHW
batch, after the geometric augmentation and before normalisation.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F


def _rand(n: int, gen: torch.Generator, lo: float, hi: float) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=gen)


def _pick(n: int, gen: torch.Generator, p: float) -> torch.Tensor:
    return torch.rand(n, generator=gen) < p


def down_up(x: torch.Tensor, gen: torch.Generator, p: float = 0.5, lo: float = 0.45, hi: float = 0.9) -> torch.Tensor:
    """Shrink to a random fraction of the size and back (one scale per call, applied to a random subset)."""
    m = _pick(x.shape[0], gen, p)
    if not m.any():
        return x
    s = float(_rand(1, gen, lo, hi))
    h, w = x.shape[2:]
    small = F.interpolate(x[m], size=(max(8, round(h * s)), max(8, round(w * s))), mode="area")
    out = x.clone()
    out[m] = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    return out


def circular_field(x: torch.Tensor, gen: torch.Generator, p: float = 0.3) -> torch.Tensor:
    """Black outside an ellipse, as a contact dermatoscope's round field of view leaves it."""
    n, _, h, w = x.shape
    m = _pick(n, gen, p)
    if not m.any():
        return x
    yy = torch.linspace(-1, 1, h).view(1, h, 1)
    xx = torch.linspace(-1, 1, w).view(1, 1, w)
    k = int(m.sum())
    r = _rand(k, gen, 0.85, 1.35).view(k, 1, 1)
    cx = _rand(k, gen, -0.1, 0.1).view(k, 1, 1)
    cy = _rand(k, gen, -0.1, 0.1).view(k, 1, 1)
    d = torch.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
    field = torch.clamp((r - d) / 0.06, 0, 1).unsqueeze(1)  # soft edge of ~3% of the width
    out = x.clone()
    out[m] = x[m] * field
    return out


def colour_device(x: torch.Tensor, gen: torch.Generator, p: float = 0.8) -> torch.Tensor:
    """White balance (per-channel gains), blue/grey tint, gamma and an illumination gradient."""
    n, _, h, w = x.shape
    m = _pick(n, gen, p).view(n, 1, 1, 1)
    gains = torch.exp(torch.randn(n, 3, generator=gen) * 0.08).view(n, 3, 1, 1)
    tint = _pick(n, gen, 0.25).view(n, 1, 1, 1) * _rand(n, gen, 0.0, 0.35).view(n, 1, 1, 1)
    grey = x.mean(1, keepdim=True)
    blueish = torch.cat([grey * 0.85, grey * 0.95, grey * 1.1], 1)
    y = (x * gains) * (1 - tint) + blueish * tint
    gamma = torch.exp(_rand(n, gen, -0.35, 0.35)).view(n, 1, 1, 1)
    y = y.clamp(1e-4, 1.0) ** gamma
    ang = _rand(n, gen, 0, 2 * math.pi).view(n, 1, 1, 1)
    strength = _rand(n, gen, 0.0, 0.3).view(n, 1, 1, 1)
    yy = torch.linspace(-1, 1, h).view(1, 1, h, 1)
    xx = torch.linspace(-1, 1, w).view(1, 1, 1, w)
    y = y * (1 + strength * (xx * torch.cos(ang) + yy * torch.sin(ang)) / 2)
    return torch.where(m, y.clamp(0, 1), x)


def blur_noise(x: torch.Tensor, gen: torch.Generator, p_blur: float = 0.2, p_noise: float = 0.3) -> torch.Tensor:
    """Slight defocus (3x3 or 5x5 Gaussian) and sensor noise."""
    n = x.shape[0]
    out = x
    m = _pick(n, gen, p_blur)
    if m.any():
        sigma = float(_rand(1, gen, 0.5, 1.3))
        k = 5 if sigma > 0.9 else 3
        t = torch.arange(k, dtype=torch.float32) - k // 2
        g = torch.exp(-(t**2) / (2 * sigma**2))
        g = g / g.sum()
        kern = (g[:, None] * g[None, :]).expand(3, 1, k, k).contiguous()
        out = out.clone()
        out[m] = F.conv2d(F.pad(x[m], (k // 2,) * 4, mode="replicate"), kern, groups=3)
    m = _pick(n, gen, p_noise).view(n, 1, 1, 1)
    noise = torch.randn(x.shape, generator=gen) * _rand(n, gen, 0.005, 0.03).view(n, 1, 1, 1)
    return (out + noise * m).clamp(0, 1)


def hair(x: torch.Tensor, gen: torch.Generator, p: float = 0.2, max_hairs: int = 8) -> torch.Tensor:
    """Thin dark strands across the field (straight, at random angles), as unshaved skin shows."""
    n, _, h, w = x.shape
    m = _pick(n, gen, p)
    if not m.any():
        return x
    out = x.clone()
    yy = torch.arange(h, dtype=torch.float32).view(h, 1)
    xx = torch.arange(w, dtype=torch.float32).view(1, w)
    for i in torch.nonzero(m).flatten().tolist():
        mask = torch.zeros(h, w)
        for _ in range(int(torch.randint(1, max_hairs + 1, (1,), generator=gen))):
            ang = float(_rand(1, gen, 0, math.pi))
            px, py = float(_rand(1, gen, 0, w)), float(_rand(1, gen, 0, h))
            dist = ((xx - px) * math.sin(ang) - (yy - py) * math.cos(ang)).abs()
            width = float(_rand(1, gen, 0.3, 0.9))
            mask = torch.maximum(mask, torch.clamp(1 - dist / width, 0, 1))
        shade = float(_rand(1, gen, 0.05, 0.3))
        out[i] = x[i] * (1 - mask) + shade * mask
    return out


def jpeg_quality(x: torch.Tensor, gen: torch.Generator, p: float = 0.3, lo: int = 30, hi: int = 90) -> torch.Tensor:
    """Re-encode a random subset as JPEG at a random quality: clinics' cameras and PACS exports compress harder
    (8x8 blocking, chroma smearing) than the training sources did."""
    m = _pick(x.shape[0], gen, p)
    if not m.any():
        return x
    out = x.clone()
    for i in torch.nonzero(m).flatten().tolist():
        q = int(torch.randint(lo, hi + 1, (1,), generator=gen))
        bgr = np.ascontiguousarray((x[i].permute(1, 2, 0).numpy()[:, :, ::-1] * 255 + 0.5).astype(np.uint8))
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, q])  # BGR, so luma and chroma are right
        if ok:
            rgb = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1])
            out[i] = torch.from_numpy(rgb).permute(2, 0, 1).float() / 255
    return out


def device_augment(x01: torch.Tensor, gen: torch.Generator, jpeg_p: float = 0.0) -> torch.Tensor:
    """All of the above, in the order a camera would apply them (JPEG last, as the file is written)."""
    x = down_up(x01, gen)
    x = hair(x, gen)
    x = colour_device(x, gen)
    x = circular_field(x, gen)
    x = blur_noise(x, gen)
    return jpeg_quality(x, gen, jpeg_p) if jpeg_p else x
