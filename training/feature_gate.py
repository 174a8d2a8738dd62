"""Fit the quality gate's second stage on the trained student's own features; export the shipped graph.

    python -m training.feature_gate --run runs/mixed_v1 --out assets/models

Reads RUN/student.pt and RUN/triage_cnn.json (training/mixed.py), exports the graph with a third
output `features` (the pooled 384-d vector the classifier reads; no extra MACs), fits a logistic
regression "dermoscopy vs not" on those features -- positives: every training source's train split,
as is and device-augmented; negatives: training/negatives.py -- with the cut-off refusing the given
share of pooled validation dermoscopy (HAM10000 val, pool val, ISIC 2018 test). Derm7pt is never read.
The card also gets the pooled validation scores behind its referral thresholds, so the app can show
what a clinic's own thresholds would do.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np
import torch

from inference import strict_json
from inference.preprocess import PreprocessSpec, resize_rgb
from training import metrics
from training.classes import CODES, MALIGNANT
from training.data import normalize, to_tensor
from training.device_augment import device_augment
from training.export import OPSET, export_onnx, sha256_file
from training.mixed import concat, load_sources
from training.negatives import negatives


@torch.no_grad()
def forward(model: torch.nn.Module, images: np.ndarray, spec: PreprocessSpec, augment_seed: int | None = None,
            batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(logits, pooled features) of uint8 NHWC images, optionally device-augmented first."""
    model.eval()
    gen = torch.Generator().manual_seed(augment_seed) if augment_seed is not None else None
    logits, feats = [], []
    for i in range(0, len(images), batch):
        x = to_tensor(images[i : i + batch], spec)
        if gen is not None:
            x = device_augment(x, gen)
        lo, _, f = model(normalize(x, spec))
        logits.append(lo.numpy())
        feats.append(f.numpy())
    return np.concatenate(logits), np.concatenate(feats)


def fit_logistic(x: np.ndarray, y: np.ndarray, weight_decay: float, seed: int) -> tuple[np.ndarray, ...]:
    torch.manual_seed(seed)
    mean, std = x.mean(0), x.std(0) + 1e-6
    xt = torch.tensor((x - mean) / std, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    lin = torch.nn.Linear(x.shape[1], 1)
    opt = torch.optim.Adam(lin.parameters(), lr=1e-2, weight_decay=weight_decay)
    pos_w = torch.tensor((y == 0).sum() / max((y == 1).sum(), 1), dtype=torch.float32)
    for _ in range(800):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(lin(xt)[:, 0], yt, pos_weight=pos_w)
        loss.backward()
        opt.step()
    return mean, std, lin.weight.detach().numpy()[0].astype(np.float64), float(lin.bias.detach())


def main() -> None:
    from training.models.triage_cnn import TriageCNN
    from training.onnx_macs import count_macs, count_params

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, required=True, help="training/mixed.py output folder")
    ap.add_argument("--name", default="triage_cnn")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--synthetic", type=int, default=3000)
    ap.add_argument("--per-photo", type=int, default=40)
    ap.add_argument("--weight-decay", type=float, default=1e-3)
    ap.add_argument("--val-refusal", type=float, default=0.005)
    ap.add_argument("--limit", type=int, default=None, help="images per split and source (smoke runs)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    card = json.loads((args.run / f"{args.name}.json").read_text())
    i = card["input"]
    spec = PreprocessSpec(height=i["height"], width=i["width"], resize=i["resize"], mean=tuple(i["mean"]),
                          std=tuple(i["std"]))
    model = TriageCNN(with_cam=True, with_features=True)
    model.load_state_dict(torch.load(args.run / "student.pt"))
    model.eval()

    data = load_sources(spec, args.limit)
    tr = data["train"]
    _, f_pos = forward(model, tr.images, spec)
    _, f_aug = forward(model, tr.images, spec, augment_seed=args.seed)
    neg_imgs = np.stack([resize_rgb(im, spec) for im in negatives(args.synthetic, args.per_photo, args.seed)])
    _, f_neg = forward(model, neg_imgs, spec)
    x = np.concatenate([f_pos, f_aug, f_neg])
    y = np.concatenate([np.ones(len(f_pos) + len(f_aug)), np.zeros(len(f_neg))])
    mean, std, w, b = fit_logistic(x, y, args.weight_decay, args.seed)

    def prob(f: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-np.clip(((f - mean) / std) @ w + b, -60, 60)))

    sel = concat(data["val_ham"], data["val_pool"], data["isic2018"])
    _, f_sel = forward(model, sel.images, spec)
    min_prob = float(np.quantile(prob(f_sel), args.val_refusal))
    fresh = np.stack([resize_rgb(im, spec) for im in list(negatives(600, 0, args.seed + 1000))[-600:]])
    _, f_fresh = forward(model, fresh, spec)
    print(f"feature gate: min_prob {min_prob:.4f}; validation dermoscopy refused "
          f"{(prob(f_sel) < min_prob).mean():.2%} (n={len(f_sel)}); fresh synthetic negatives refused "
          f"{(prob(f_fresh) < min_prob).mean():.1%}; training negatives refused {(prob(f_neg) < min_prob).mean():.1%}")

    # pooled validation scores behind the thresholds (the split the thresholds were chosen on)
    val = concat(data["val_ham"], data["val_pool"])
    lo_val, _ = forward(model, val.images, spec)
    pv = metrics.softmax(lo_val, card["temperature"])
    card["thresholds"]["validation_scores"] = {
        "p_mel": [round(float(v), 5) for v in pv[:, CODES.index("mel")]],
        "p_malignant": [round(float(v), 5) for v in metrics.malignant_score(pv, CODES, MALIGNANT)],
        "dx": [CODES[k] for k in val.labels],
    }

    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / f"{args.name}.onnx"
    export_onnx(model, onnx_path, spec.height, spec.width, ("logits", "cam", "features"))
    card["outputs"] = {"logits": "N x 7", "cam": "N x 7 x h x w, classifier applied per position",
                       "features": "N x 384, the pooled features the classifier reads (quality gate, stage 2)"}
    card["feature_gate"] = {
        "output": "features", "mean": mean.tolist(), "std": std.tolist(), "w": w.tolist(), "b": b,
        "min_prob": round(min_prob, 6),
        "fitted_on": (f"{len(f_pos)} training-split images of all training sources (as they are and "
                      f"device-augmented) against {len(f_neg)} non-dermoscopic images (training/negatives.py); "
                      f"cut-off refuses {args.val_refusal:.1%} of {len(f_sel)} validation images; Derm7pt never used"),
        "command": "python -m training.feature_gate " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
    }
    card["params"] = count_params(onnx_path)
    card["macs"] = count_macs(onnx_path)
    card["onnx"] = {"file": onnx_path.name, "sha256": sha256_file(onnx_path), "opset": OPSET,
                    "precision": "float32", "bytes": onnx_path.stat().st_size}
    (args.out / f"{args.name}.json").write_text(strict_json.dumps(card, indent=2) + "\n")
    png = args.run / card.get("confusion_png", "")
    if png.is_file() and args.out.resolve() != args.run.resolve():
        (args.out / png.name).write_bytes(png.read_bytes())
    print(f"wrote {onnx_path} ({card['params']} params, {card['macs']} MACs) and {args.name}.json")


if __name__ == "__main__":
    main()
