"""Train, evaluate, calibrate and export one model; writes assets/models/NAME.onnx + NAME.json.

    python -m training.train --model paper_cnn --seed 1 --out assets/models

Smoke run (CI; a few batches, nothing shipped): add --limit 96 --epochs 1 --max-batches 2 --out /tmp/x
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from inference.card_schema import CARD_FORMAT
from inference.preprocess import PreprocessSpec
from inference.preprocess import normalize as np_normalize
from training import metrics
from training.classes import CITATION, CLASSES, CODES, LICENSE, MALIGNANT
from training.data import augment, channel_stats, load_split, normalize, to_tensor
from training.evaluate import KeepBest, format_table, plot_confusion, predict_logits
from training.export import OPSET, export_onnx, quantize_int8, sha256_file, write_card
from training.models.paper_cnn import INPUT_HW as PAPER_HW
from training.models.paper_cnn import PaperCNN
from training.splits.make_split import DEFAULT_DATA, SPLIT_FILE

ROOT = Path(__file__).resolve().parents[1]

MODELS = {
    "paper_cnn": {
        "build": PaperCNN,
        "input_hw": PAPER_HW,
        "architecture": (
            "arXiv 2505.21597 CNN: 64x64x3 -> Conv32 3x3 valid+ReLU, MaxPool2 -> Conv64 3x3+ReLU, MaxPool2 -> "
            "Conv128 3x3+ReLU, MaxPool2 -> Flatten 4608 -> Dense128+ReLU -> Dense64+ReLU -> Dense7 "
            "(dropout 0.25 after pools, 0.5 after dense)"
        ),
    },
}


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except OSError:
        return "unknown"


def class_weights(labels: np.ndarray, power: float) -> torch.Tensor:
    """Inverse-frequency weights to the given power (0.5: square root), mean 1 over samples."""
    counts = np.bincount(labels, minlength=len(CODES)).astype(np.float64)
    w = (counts.sum() / np.maximum(counts, 1)) ** power
    w = w / (w[labels].mean())
    return torch.tensor(w, dtype=torch.float32)


def train(args: argparse.Namespace) -> None:
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    cfg = MODELS[args.model]
    h, w = cfg["input_hw"]
    raw_spec = PreprocessSpec(height=h, width=w, resize="area")
    t0 = time.time()
    data = load_split(raw_spec, args.data, args.split, limit=args.limit)
    mean, std = channel_stats(data["train"].images)
    spec = PreprocessSpec(height=h, width=w, resize="area", mean=mean, std=std)
    print(f"decoded {sum(len(d.labels) for d in data.values())} images in {time.time() - t0:.1f}s; "
          f"train mean {mean} std {std}")

    model = cfg["build"]()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    tr = data["train"]
    loss_fn = nn.CrossEntropyLoss(weight=class_weights(tr.labels, args.class_weight_power))
    gen = torch.Generator().manual_seed(args.seed)
    x_all = to_tensor(tr.images, spec)
    y_all = torch.from_numpy(tr.labels)

    keep = KeepBest(args.patience)
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(y_all), generator=gen)
        n_batches = (len(perm) + args.batch_size - 1) // args.batch_size
        if args.max_batches:
            n_batches = min(n_batches, args.max_batches)
        bar = tqdm(range(n_batches), desc=f"epoch {epoch + 1}/{args.epochs}", leave=False, file=sys.stdout)
        total = 0.0
        for b in bar:
            idx = perm[b * args.batch_size : (b + 1) * args.batch_size]
            x = normalize(augment(x_all[idx], gen), spec)
            loss = loss_fn(model(x), y_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
            bar.set_postfix(loss=f"{total / (b + 1):.3f}")
        sched.step()
        if keep.update(model, data, spec, epoch + 1, total / max(n_batches, 1)):
            break
    assert keep.state is not None
    model.load_state_dict(keep.state)
    model.eval()
    finish(args, model, spec, data, keep.best_epoch, time.time() - t0, MODELS[args.model]["architecture"])


def finish(args, model, spec, data, best_epoch, train_seconds, architecture, export_model=None,
           outputs=("logits",), extra_card=None, recipe=None) -> dict:  # noqa: ANN001
    """Evaluate on val/test, calibrate, choose thresholds, export ONNX (+ int8) and write the card(s)."""
    val_logits = predict_logits(model, data["val"].images, spec)
    test_logits = predict_logits(model, data["test"].images, spec)
    yv, yt = data["val"].labels, data["test"].labels
    temperature = metrics.fit_temperature(val_logits, yv) if len(yv) else 1.0
    p_raw = metrics.softmax(test_logits)
    p_cal = metrics.softmax(test_logits, temperature)
    test_rep = metrics.classification_report(p_cal, yt, CODES)
    test_rep["ece_15_bins_before_temperature"] = round(metrics.expected_calibration_error(p_raw, yt), 4)
    test_rep["ece_15_bins_after_temperature"] = round(metrics.expected_calibration_error(p_cal, yt), 4)
    test_rep["nll_before_temperature"] = round(metrics.nll(test_logits, yt, 1.0), 4)
    test_rep["nll_after_temperature"] = round(metrics.nll(test_logits, yt, temperature), 4)
    pv = metrics.softmax(val_logits, temperature)
    val_rep = metrics.classification_report(pv, yv, CODES)
    thresholds = metrics.choose_thresholds(pv, yv, CODES, MALIGNANT)
    test_rep["referral"] = metrics.referral_report(p_cal, yt, CODES, MALIGNANT, thresholds)
    print(format_table(test_rep, f"TEST (lesion-grouped, n={len(yt)}), T={temperature:.3f}"))
    print(f"  ECE(15) before T {test_rep['ece_15_bins_before_temperature']:.4f}  "
          f"after T {test_rep['ece_15_bins_after_temperature']:.4f}")
    print(f"  referral thresholds: soon {thresholds['soon']:.4f} urgent {thresholds['urgent']:.4f}; "
          f"test: {test_rep['referral']}")

    out: Path = args.out
    name = args.name or args.model
    onnx_path = out / f"{name}.onnx"
    export_onnx(export_model or model, onnx_path, spec.height, spec.width, outputs)
    from training.onnx_macs import count_macs, count_params

    cmd = f"python -m training.{Path(sys.argv[0]).stem} " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    base_card = {
        "format": CARD_FORMAT,
        "name": name,
        "version": args.version,
        "architecture": architecture,
        "input_name": "input",
        "output_name": "logits",
        "input": spec.to_card(),
        "classes": [{"code": c, "name": n} for c, n in CLASSES],
        "malignant_classes": MALIGNANT,
        "temperature": round(temperature, 6),
        "thresholds": thresholds,
        "metrics": {
            "split": "lesion-grouped, class-stratified 70/15/15 of HAM10000 lesions (see training/splits)",
            "test": test_rep,
            "validation": {k: val_rep[k] for k in ("n", "accuracy", "balanced_accuracy", "macro_auc",
                                                   "melanoma_recall")},
        },
        "split": {"file": "training/splits/ham10000.csv", "sha256": sha256_file(args.split)},
        "training": {
            "command": cmd, "seed": args.seed, "git_commit": git_commit(), "best_epoch": best_epoch,
            "seconds": round(train_seconds, 1), "torch": torch.__version__,
            "recipe": recipe or (
                f"Adam lr {args.lr} wd {args.weight_decay}, cosine, batch {args.batch_size}, "
                f"class-weighted CE (inverse frequency ^ {args.class_weight_power}), flips + 90-degree "
                "rotations + brightness/contrast/saturation jitter 0.1, early stop on val balanced accuracy"),
        },
        "training_data": (f"HAM10000 (200x150 copies), train split {len(data['train'].labels)} images; "
                          f"val {len(yv)}; test {len(yt)}"),
        "license": LICENSE,
        "license_note": "Trained on HAM10000 (CC BY-NC 4.0): the model is for non-commercial research use.",
        "citation": CITATION,
        "disclaimer": "For research use; not a medical device; does not replace a clinician's diagnosis.",
    }
    cm_png = out / f"{name}_confusion.png"
    plot_confusion(test_rep["confusion_matrix"]["rows_true_cols_pred"], CODES, cm_png,
                   f"{name} — test split (lesion-grouped), n={len(yt)}")
    if extra_card:
        base_card.update(extra_card)
    card = dict(base_card, params=count_params(onnx_path), macs=count_macs(onnx_path),
                confusion_png=cm_png.name,
                onnx={"file": onnx_path.name, "sha256": sha256_file(onnx_path), "opset": OPSET,
                      "precision": "float32", "bytes": onnx_path.stat().st_size})
    if args.int8:
        rejected = write_int8(args, base_card, spec, data, onnx_path, name, cm_png, fp32_card=card)
        if rejected:
            card["int8_variant"] = rejected
    write_card(card, out / f"{name}.json")
    print(f"wrote {onnx_path} ({card['params']} params, {card['macs']} MACs) and {name}.json")
    return card


def int8_summary(int8_card: dict, fp32_card: dict, max_drop: float) -> dict:
    """What the fp32 card records about an int8 variant that was measured but not kept."""
    t8, t32 = int8_card["metrics"]["test"], fp32_card["metrics"]["test"]
    drop = t32["balanced_accuracy"] - t8["balanced_accuracy"]
    return {"shipped": False,
            "reason": f"test balanced accuracy {t8['balanced_accuracy']:.3f} vs fp32 {t32['balanced_accuracy']:.3f}: "
                      f"a {100 * drop:.1f}-point loss, over the {100 * max_drop:.0f}-point limit",
            "precision": int8_card["onnx"]["precision"], "bytes": int8_card["onnx"]["bytes"],
            "params": int8_card["params"], "macs": int8_card["macs"],
            "test": {k: t8[k] for k in ("accuracy", "balanced_accuracy", "macro_auc", "melanoma_recall",
                                        "ece_15_bins_after_temperature")}}


def write_int8(args, base_card, spec, data, onnx_path, name, cm_png, fp32_card=None) -> dict | None:  # noqa: ANN001
    """Static int8 QDQ variant; with `args.int8_max_drop` it is kept only if it loses at most that much
    balanced accuracy on the test split. A variant not kept has its file removed, and its numbers are
    returned for the fp32 card (None when it is kept)."""
    import onnxruntime as ort

    from training.onnx_macs import count_macs, count_params

    rng = np.random.default_rng(args.seed)
    tr = data["train"].images
    calib_idx = rng.choice(len(tr), size=min(args.calib_images, len(tr)), replace=False)
    calib = np_normalize(tr[calib_idx], spec)
    int8_path = onnx_path.with_name(f"{name}_int8.onnx")
    quantize_int8(onnx_path, int8_path, calib)
    sess = ort.InferenceSession(str(int8_path), providers=["CPUExecutionProvider"])

    def run(images: np.ndarray) -> np.ndarray:
        return np.concatenate([sess.run(None, {"input": np_normalize(images[i : i + 256], spec)})[0]
                               for i in range(0, len(images), 256)])

    val_logits, test_logits = run(data["val"].images), run(data["test"].images)
    yv, yt = data["val"].labels, data["test"].labels
    temperature = metrics.fit_temperature(val_logits, yv) if len(yv) else 1.0
    p_cal = metrics.softmax(test_logits, temperature)
    rep = metrics.classification_report(p_cal, yt, CODES)
    rep["ece_15_bins_before_temperature"] = round(metrics.expected_calibration_error(
        metrics.softmax(test_logits), yt), 4)
    rep["ece_15_bins_after_temperature"] = round(metrics.expected_calibration_error(p_cal, yt), 4)
    pv = metrics.softmax(val_logits, temperature)
    thresholds = metrics.choose_thresholds(pv, yv, CODES, MALIGNANT)
    rep["referral"] = metrics.referral_report(p_cal, yt, CODES, MALIGNANT, thresholds)
    print(format_table(rep, f"TEST int8 QDQ, T={temperature:.3f}"))
    card = dict(base_card, name=f"{name}_int8", temperature=round(temperature, 6), thresholds=thresholds,
                params=count_params(int8_path), macs=count_macs(int8_path),
                architecture=base_card["architecture"] + "; static int8 QDQ (per-channel weights, "
                f"{len(calib)} training images for calibration)",
                onnx={"file": int8_path.name, "sha256": sha256_file(int8_path), "opset": OPSET,
                      "precision": "int8 QDQ", "bytes": int8_path.stat().st_size})
    card["metrics"] = dict(base_card["metrics"], test=rep)
    max_drop = getattr(args, "int8_max_drop", None)
    if max_drop is not None and fp32_card is not None and (
            fp32_card["metrics"]["test"]["balanced_accuracy"] - rep["balanced_accuracy"] > max_drop):
        summary = int8_summary(card, fp32_card, max_drop)
        int8_path.unlink()
        print(f"int8 not kept: {summary['reason']}")
        return summary
    write_card(card, int8_path.with_suffix(".json"))
    print(f"wrote {int8_path} ({int8_path.stat().st_size} bytes)")
    return None


def add_loop_args(ap: argparse.ArgumentParser, epochs: int, patience: int,
                  limit_help: str = "images per split and source (smoke runs)") -> None:
    """The training-loop options every training script shares (training.train, .mixed, .mixed_teacher)."""
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=epochs)
    ap.add_argument("--patience", type=int, default=patience)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--class-weight-power", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help=limit_help)
    ap.add_argument("--max-batches", type=int, default=0, help="batches per epoch (smoke runs)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=sorted(MODELS), default="paper_cnn")
    ap.add_argument("--name", default=None, help="file name stem (default: the model name)")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--split", type=Path, default=SPLIT_FILE)
    ap.add_argument("--out", type=Path, default=ROOT / "assets" / "models")
    add_loop_args(ap, epochs=60, patience=12, limit_help="images per split (smoke runs)")
    ap.add_argument("--int8", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--calib-images", type=int, default=300)
    train(ap.parse_args())


if __name__ == "__main__":
    main()
