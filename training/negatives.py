"""Non-dermoscopic images for fitting the quality gate, made here or taken from packages (no download).

Kept apart from the photos that tests/inference/test_quality.py measures the gate on: the gate is
fitted on `FIT_PHOTOS` and on synthetic images, and measured on scikit-image photos it never saw.
Debian wallpaper packages are not used at all (kept for independent testing).
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

# scikit-image samples NOT in tests/inference/test_quality.py's PHOTOS list (those stay unseen)
FIT_SKIMAGE = ("binary_blobs", "cell", "shepp_logan_phantom")
FIT_MPL = ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png")
FIT_MPL_ARRAYS = ("topobathy.npz", "jacksboro_fault_dem.npz")
COLORMAPS = ("viridis", "terrain", "gist_earth", "ocean", "plasma", "magma", "cividis", "twilight", "cubehelix",
             "Spectral", "coolwarm", "RdYlGn", "copper", "pink", "bone", "autumn", "summer", "winter", "spring",
             "hot", "YlOrBr", "Oranges", "Reds", "PuRd", "BrBG", "tab20", "Set3", "Pastel1")


def as_rgb8(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img)
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    if img.dtype != np.uint8:
        img = (255 * (img - img.min()) / max(float(img.max() - img.min()), 1e-9)).astype(np.uint8)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return np.ascontiguousarray(img[..., :3])


def _colormap(field: np.ndarray, name: str) -> np.ndarray:
    import matplotlib
    import matplotlib.image

    cmap = matplotlib.colormaps[name]
    f = (field - field.min()) / max(float(np.ptp(field)), 1e-9)
    return (cmap(f)[..., :3] * 255).astype(np.uint8)


def fit_photos() -> list[np.ndarray]:
    """Photos and rendered data from scikit-image and matplotlib that the tests do not use."""
    import matplotlib
    import matplotlib.image
    import skimage.data as skdata
    from matplotlib import cbook

    out = [as_rgb8(getattr(skdata, n)()) for n in FIT_SKIMAGE]
    for n in FIT_MPL:
        img = matplotlib.image.imread(cbook.get_sample_data(n, asfileobj=False))
        out.append(as_rgb8(img))
    for n, cmap in zip(FIT_MPL_ARRAYS, ("terrain", "gist_earth"), strict=True):
        with np.load(cbook.get_sample_data(n, asfileobj=False)) as z:
            arr = z[z.files[0]]
        out.append(_colormap(arr.astype(np.float64), cmap))
    faces = skdata.lfw_subset()  # 200 grey faces, 25x25
    for i in range(0, len(faces) - 15, 16):
        grid = np.vstack([np.hstack(faces[i + r * 4 : i + r * 4 + 4]) for r in range(4)])
        out.append(as_rgb8(cv2.resize(grid, (300, 300), interpolation=cv2.INTER_CUBIC)))
    return out


def _smooth_field(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Sum of up-sampled noise octaves: clouds, terrain, textures."""
    field = np.zeros((h, w), np.float32)
    for octave in range(rng.integers(1, 6)):
        s = 2 ** (octave + 1)
        small = rng.normal(size=(s + 1, max(2, int(s * w / h) + 1))).astype(np.float32)
        field += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) / (octave + 1)
    return field


def noise_image(rng: np.random.Generator) -> np.ndarray:
    """Sensor noise or a corrupted file at a camera's resolution: gaussian, uniform, salt-and-pepper, grey or colour."""
    h, w = int(rng.integers(200, 800)), int(rng.integers(200, 800))
    c = 3 if rng.random() < 0.7 else 1
    kind = rng.integers(0, 3)
    if kind == 0:
        img = rng.normal(rng.uniform(40, 220), rng.uniform(8, 90), (h, w, c))
    elif kind == 1:
        lo = rng.uniform(0, 150)
        img = rng.uniform(lo, lo + rng.uniform(30, 255 - lo), (h, w, c))
    else:
        img = (rng.random((h, w, c)) > rng.uniform(0.2, 0.8)) * 255.0
    return np.clip(img, 0, 255).astype(np.uint8).repeat(3 // c, axis=2)


def other_medical(rng: np.random.Generator, h: int = 450, w: int = 600) -> np.ndarray:
    """Images a clinic has on disk beside dermoscopy: stained histology and a fundus-like photograph."""
    if rng.random() < 0.5:  # histology / immunohistochemistry: stained nuclei over a pale, stained matrix
        base = np.array([rng.uniform(200, 250), rng.uniform(150, 220), rng.uniform(170, 230)])
        img = np.clip(base + _smooth_field(rng, h, w)[..., None] * rng.uniform(10, 40), 0, 255).astype(np.uint8)
        stain = np.array([[120, 60, 150], [110, 70, 40], [90, 50, 120], [150, 90, 60]])[rng.integers(4)]
        for _ in range(int(rng.integers(150, 900))):
            centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            axes = (int(rng.integers(2, 9)), int(rng.integers(2, 9)))
            col = tuple(int(v) for v in np.clip(stain + rng.normal(0, 25, 3), 0, 255))
            cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360, col, -1)
        return cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.5))
    img = np.zeros((h, w, 3), np.uint8)  # fundus: an orange disc on black, a bright optic disc, dark vessels
    r = int(min(h, w) * rng.uniform(0.4, 0.5))
    centre = (w // 2 + int(rng.integers(-20, 20)), h // 2 + int(rng.integers(-20, 20)))
    cv2.circle(img, centre, r, (int(rng.uniform(150, 230)), int(rng.uniform(60, 120)), int(rng.uniform(10, 50))), -1)
    img = np.clip(img * (0.7 + 0.3 * _smooth_field(rng, h, w)[..., None].clip(-1, 1)), 0, 255).astype(np.uint8)
    disc = (centre[0] + int(r * rng.uniform(-0.6, 0.6)), centre[1] + int(r * rng.uniform(-0.3, 0.3)))
    cv2.circle(img, disc, int(r * 0.15), (250, 220, 150), -1)
    for _ in range(int(rng.integers(6, 14))):
        pts = [disc]
        for _ in range(6):
            pts.append((pts[-1][0] + int(rng.integers(-60, 60)), pts[-1][1] + int(rng.integers(-60, 60))))
        cv2.polylines(img, [np.array(pts, np.int32)], False, (120, 30, 20), int(rng.integers(2, 6)))
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, centre, r, 255, -1)
    img[mask == 0] = 0
    return cv2.GaussianBlur(img, (0, 0), 1.0)


def texture(rng: np.random.Generator, h: int = 300, w: int = 400) -> np.ndarray:
    """Oriented natural textures (fur, wood, fabric, grass) in earthy or grey palettes."""
    base = rng.normal(size=(h, w)).astype(np.float32)
    k = int(rng.integers(5, 31)) | 1
    kernel = np.zeros((k, k), np.float32)
    kernel[k // 2] = 1.0 / k
    rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
    field = cv2.filter2D(base, -1, cv2.warpAffine(kernel, rot, (k, k))) + 0.5 * _smooth_field(rng, h, w)
    palette = np.array([[rng.uniform(60, 200)] * 3, [rng.uniform(90, 200), rng.uniform(60, 150), rng.uniform(20, 90)],
                        [rng.uniform(40, 120), rng.uniform(80, 160), rng.uniform(30, 80)]])[rng.integers(3)]
    f = (field - field.mean()) / (field.std() + 1e-6)
    return np.clip(palette + f[..., None] * rng.uniform(15, 60), 0, 255).astype(np.uint8)


def synthetic(rng: np.random.Generator, h: int = 300, w: int = 400) -> np.ndarray:
    """One synthetic non-dermoscopic image of a random kind."""
    kind = rng.integers(0, 10)
    if kind == 7:
        return noise_image(rng)
    if kind == 8:
        return other_medical(rng)
    if kind == 9:
        return texture(rng, h, w)
    if kind == 0:  # colour-mapped noise fields
        return _colormap(_smooth_field(rng, h, w), COLORMAPS[rng.integers(len(COLORMAPS))])
    if kind == 1:  # landscape: sky gradient, ground texture, a few objects
        img = np.zeros((h, w, 3), np.uint8)
        sky = rng.integers(100, 256, 3)
        horizon = int(h * rng.uniform(0.3, 0.7))
        for y in range(horizon):
            img[y] = np.clip(sky * (0.6 + 0.4 * y / horizon), 0, 255)
        ground = _colormap(_smooth_field(rng, h - horizon, w), COLORMAPS[rng.integers(len(COLORMAPS))])
        img[horizon:] = ground
        for _ in range(rng.integers(0, 6)):
            c = tuple(int(v) for v in rng.integers(0, 256, 3))
            cv2.rectangle(img, tuple(int(v) for v in rng.integers(0, [w, h])),
                          tuple(int(v) for v in rng.integers(0, [w, h])), c, -1)
        return img
    if kind == 2:  # text page
        bg = rng.integers(180, 256, 3)
        img = np.full((h, w, 3), bg, np.uint8)
        for y in range(20, h, int(rng.integers(14, 30))):
            text = "".join(chr(int(c)) for c in rng.integers(65, 123, 40))
            cv2.putText(img, text, (5, y), int(rng.integers(0, 8)), float(rng.uniform(0.3, 0.8)),
                        tuple(int(v) for v in rng.integers(0, 120, 3)), 1, cv2.LINE_AA)
        return img
    if kind == 3:  # geometric patterns: stripes, checkers, rings
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        f = rng.uniform(0.02, 0.3)
        ang = rng.uniform(0, np.pi)
        pat = np.sin(f * (xx * np.cos(ang) + yy * np.sin(ang)))
        if rng.random() < 0.5:
            pat = pat * np.sin(f * (xx * np.sin(ang) - yy * np.cos(ang)))
        if rng.random() < 0.3:
            pat = np.sin(f * np.hypot(xx - w / 2, yy - h / 2))
        return _colormap(pat, COLORMAPS[rng.integers(len(COLORMAPS))])
    if kind == 4:  # shapes on a flat or gradient background (icons, diagrams, cartoons)
        img = np.full((h, w, 3), rng.integers(0, 256, 3), np.uint8)
        for _ in range(rng.integers(3, 25)):
            c = tuple(int(v) for v in rng.integers(0, 256, 3))
            centre = tuple(int(v) for v in rng.integers(0, [w, h]))
            if rng.random() < 0.5:
                cv2.circle(img, centre, int(rng.integers(5, 80)), c, -1 if rng.random() < 0.7 else 3)
            else:
                cv2.line(img, centre, tuple(int(v) for v in rng.integers(0, [w, h])), c, int(rng.integers(1, 8)))
        return img
    if kind == 5:  # noise of several kinds
        base = rng.integers(0, 256, (h // 4 + 1, w // 4 + 1, 3)).astype(np.uint8)
        img = cv2.resize(base, (w, h), interpolation=int(rng.choice([cv2.INTER_NEAREST, cv2.INTER_LINEAR])))
        return np.clip(img + rng.normal(0, rng.uniform(0, 40), img.shape), 0, 255).astype(np.uint8)
    # kind 6: a colour photo-like mosaic of smooth blobs (out-of-focus scenes, bokeh)
    img = _colormap(_smooth_field(rng, h, w), COLORMAPS[rng.integers(len(COLORMAPS))])
    for _ in range(rng.integers(5, 30)):
        c = tuple(int(v) for v in rng.integers(0, 256, 3))
        cv2.circle(img, tuple(int(v) for v in rng.integers(0, [w, h])), int(rng.integers(5, 40)), c, -1)
    return cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 3))


def augment_photo(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random crop (10-100% of the side), flip, hue/gamma change of a photo."""
    h, w = img.shape[:2]
    s = rng.uniform(0.3, 1.0)
    ch, cw = max(32, int(h * s)), max(32, int(w * s * rng.uniform(0.75, 1.33)))
    ch, cw = min(ch, h), min(cw, w)
    y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    out = img[y : y + ch, x : x + cw]
    if rng.random() < 0.5:
        out = out[:, ::-1]
    hsv = cv2.cvtColor(np.ascontiguousarray(out), cv2.COLOR_RGB2HSV)
    hsv[..., 0] = (hsv[..., 0].astype(int) + rng.integers(0, 180)) % 180 if rng.random() < 0.5 else hsv[..., 0]
    out = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    gamma = np.exp(rng.uniform(-0.4, 0.4))
    out = (255 * (out / 255.0) ** gamma).astype(np.uint8)
    return cv2.resize(out, (max(64, cw), max(64, ch)))


def negatives(n_synthetic: int, per_photo: int, seed: int) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(seed)
    for photo in fit_photos():
        yield photo
        for _ in range(per_photo):
            yield augment_photo(photo, rng)
    for _ in range(n_synthetic):
        yield synthetic(rng)
