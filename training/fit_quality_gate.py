"""Fit the quality gate on every training source and write assets/quality_gate.json.

    python -m training.fit_quality_gate --seed 1

Positives: the train splits of HAM10000 and of the BCN20000 / MSK / ISIC pool, each image once as it
is and once through the device augmentation the model is trained with (other dermatoscopes' tints,
fields and resolutions). Negatives: training/negatives.py (photos the tests never use, synthetic
images). Cut-offs are chosen on validation dermoscopy (HAM10000 val, pool val, ISIC 2018 test);
Derm7pt is never read. The photos of tests/inference/test_quality.py measure the result.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import torch

from inference import quality as quality_module
from inference import strict_json
from inference.image import decode_file
from inference.quality import FEATURE_NAMES, GATE_FILE, SMALL, Mlp, QualityGate, blur_score, features
from inference.resources import assets_dir
from inference.runner import DECODE_MIN_RATIO
from training.device_augment import device_augment
from training.negatives import negatives
from training.sources import ham_items, isic2018_items, pool_items


def source_files(split: str, pool_limit: int | None, rng: np.random.Generator) -> list[Path]:
    ham = [p for p, _ in ham_items(split)]
    pool = [p for p, _ in pool_items(split)]
    if pool_limit and len(pool) > pool_limit:
        pool = [pool[i] for i in sorted(rng.choice(len(pool), pool_limit, replace=False))]
    return ham + pool


def load_all(paths: list[Path]) -> list[np.ndarray]:
    """Each image decoded as the app decodes it (the runner's reduced DCT scale for the gate's copy)."""
    with ThreadPoolExecutor(4) as ex:
        return list(ex.map(lambda p: decode_file(p, (SMALL[1], SMALL[0]), min_ratio=DECODE_MIN_RATIO).rgb, paths))


def feats_of(images: list[np.ndarray]) -> np.ndarray:
    with ThreadPoolExecutor(2) as ex:
        return np.stack(list(ex.map(features, images)))


def device_views(images: list[np.ndarray], seed: int) -> list[np.ndarray]:
    """Each image at the gate's 96x72 through the model's device augmentation (tints, fields, resolution)."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, len(images), 256):
        small = np.stack([cv2.resize(im, SMALL, interpolation=cv2.INTER_AREA) for im in images[i : i + 256]])
        x = torch.from_numpy(small).permute(0, 3, 1, 2).float() / 255
        y = (device_augment(x, gen).permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
        out.extend(y)
    return out


def fit_mlp(x: np.ndarray, y: np.ndarray, hidden: int, seed: int, epochs: int = 600) -> Mlp:
    torch.manual_seed(seed)
    mean, std = x.mean(0), x.std(0) + 1e-6
    xt = torch.tensor((x - mean) / std, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2, weight_decay=1e-4)
    pos_w = torch.tensor((y == 0).sum() / max((y == 1).sum(), 1), dtype=torch.float32)
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(xt)[:, 0], yt, pos_weight=pos_w)
        loss.backward()
        opt.step()
    w1, b1 = net[0].weight.detach().numpy().T, net[0].bias.detach().numpy()
    w2, b2 = net[2].weight.detach().numpy()[0], float(net[2].bias.detach())
    return Mlp(mean, std, w1.astype(np.float64), b1.astype(np.float64), w2.astype(np.float64), b2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pool-limit", type=int, default=6000, help="pool training images used (all HAM10000 ones are)")
    ap.add_argument("--synthetic", type=int, default=3000)
    ap.add_argument("--per-photo", type=int, default=40)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--val-refusal", type=float, default=0.005,
                    help="share of validation dermoscopy the MLP may refuse")
    ap.add_argument("--out", type=Path, default=assets_dir() / GATE_FILE)
    ap.add_argument("--cache", type=Path, default=Path(__file__).resolve().parents[1] / "runs")
    args = ap.parse_args()
    torch.set_num_threads(2)
    rng = np.random.default_rng(args.seed)

    train_paths = source_files("train", args.pool_limit, rng)
    val_paths = source_files("val", None, rng) + [p for p, _ in isic2018_items()]
    val_imgs = load_all(val_paths)
    # features are the slow part: cached, so refitting the MLP alone takes seconds
    # keyed by the feature code itself, so a changed statistic never reuses stale features
    code = hashlib.sha256(inspect.getsource(quality_module).encode()).hexdigest()[:10]
    cache = args.cache / f"gate_features_{args.seed}_{args.pool_limit}_{code}_r{DECODE_MIN_RATIO}.npz"
    if cache.is_file():
        z = np.load(cache)
        pos, val = z["pos"], z["val"]
    else:
        train_imgs = load_all(train_paths)
        pos = np.concatenate([feats_of(train_imgs), feats_of(device_views(train_imgs, args.seed))])
        del train_imgs
        val = feats_of(val_imgs)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, pos=pos, val=val)
    neg = feats_of(list(negatives(args.synthetic, args.per_photo, args.seed)))
    print(f"positives {len(pos)} (half device-augmented), negatives {len(neg)}", flush=True)
    x = np.concatenate([pos, neg])
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    mlp = fit_mlp(x, y, args.hidden, args.seed)

    p_val = mlp.prob(val)
    min_prob = float(np.quantile(p_val, args.val_refusal))
    blur_val = np.array([blur_score(im) for im in val_imgs])
    min_blur = float(np.quantile(blur_val, 0.001) - 0.5)
    mean = pos.mean(0)
    inv = np.linalg.inv(np.cov(pos, rowvar=False) + np.eye(pos.shape[1]) * 1e-6)
    d_pos = np.sqrt(np.einsum("ij,jk,ik->i", pos - mean, inv, pos - mean))
    max_distance = float(np.quantile(d_pos, 0.999) * 1.5)

    out = {
        "features": list(FEATURE_NAMES),
        "size": list(SMALL),
        "mlp": {"mean": mlp.mean.tolist(), "std": mlp.std.tolist(), "w1": mlp.w1.tolist(), "b1": mlp.b1.tolist(),
                "w2": mlp.w2.tolist(), "b2": mlp.b2},
        "min_prob": round(min_prob, 6),
        "mean": mean.tolist(), "inv_cov": inv.tolist(), "max_distance": round(max_distance, 4),
        "min_blur": round(min_blur, 4),
        "fitted_on": (f"{len(train_paths)} training-split images of HAM10000 + BCN20000/MSK/ISIC (each also "
                      f"device-augmented) against {len(neg)} non-dermoscopic images (training/negatives.py); "
                      f"cut-offs on {len(val_imgs)} validation images (HAM10000 val, pool val, ISIC 2018 test); "
                      "Derm7pt never used"),
        "command": (f"python -m training.fit_quality_gate --seed {args.seed} --pool-limit {args.pool_limit} "
                    f"--synthetic {args.synthetic} --per-photo {args.per_photo} --hidden {args.hidden} "
                    f"--val-refusal {args.val_refusal}"),
    }
    args.out.write_text(strict_json.dumps(out) + "\n")
    gate = QualityGate.load(args.out)

    # what it does on held-out synthetic negatives (another seed) and on blurred validation lesions
    fresh = list(negatives(600, 0, args.seed + 1000))[-600:]
    neg_refused = np.mean([not gate.check(im).ok for im in fresh])
    val_refused = np.mean([not gate.check(im).ok for im in val_imgs])
    blurred = [cv2.GaussianBlur(im, (0, 0), 12 * im.shape[1] / 600) for im in val_imgs[:400]]
    verdicts = [gate.check(im) for im in blurred]
    blur_as_blur = np.mean([("blurred" in v.message) for v in verdicts])
    print(f"wrote {args.out}: min_prob {min_prob:.4f}, min_blur {min_blur:.3f}, max_distance {max_distance:.1f}")
    print(f"validation dermoscopy refused {val_refused:.2%} (n={len(val_imgs)}); fresh synthetic negatives refused "
          f"{neg_refused:.1%}; 12 px-blurred lesions refused as blur {blur_as_blur:.1%}")


if __name__ == "__main__":
    main()
