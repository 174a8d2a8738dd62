"""Train the student on every training source, for other clinics' dermatoscopes (issue 10).

    python -m training.mixed --seed 1 --epochs 14 --out runs/mixed_v1

Training: HAM10000's lesion-grouped train split plus the BCN20000 / MSK / ISIC-archive pool's
(training/splits/isic2019_pool.csv), with geometric, colour and device augmentations
(training/device_augment.py). Model selection: balanced accuracy on the ISIC 2018 test set (never
trained on). Temperature and the melanoma-first referral thresholds: pooled validation (HAM10000 val
+ pool val). Derm7pt is not loaded here at all: it is the external test of training/evaluate_sources.py.

The shipped card's per-source numbers (refusals included) come from that script, which runs the
exported ONNX file through the app's own pipeline.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from inference.image import decode_file
from inference.preprocess import PreprocessSpec, resize_rgb
from inference.runner import DECODE_MIN_RATIO, decode_target
from training import metrics
from training.classes import CITATION, CLASSES, CODES, LICENSE, MALIGNANT
from training.data import SplitArrays, normalize, to_tensor
from training.device_augment import device_augment
from training.distill import cam_in_mask, jitter_affine, load_teacher_logits, run_epochs, view
from training.evaluate import format_table, plot_confusion, predict_logits
from training.export import OPSET, export_onnx, sha256_file, write_card
from training.models.lite0 import lite_spec
from training.sources import HAM, Item, ham_items, isic2018_items, pool_items
from training.splits.make_pool_split import POOL_FILE
from training.splits.make_split import SPLIT_FILE
from training.train import ROOT, add_loop_args, class_weights, git_commit

TEACHER_NOTE = ("the mean logits of the cached teachers listed (training/mixed_teacher.py: an EfficientNet-Lite "
                "fine-tuned on the same pool; training/onnx_teacher.py: a previous student's ONNX file), 4 "
                "un-augmented shape-keeping views per training image")


def app_pixels(path: Path, spec: PreprocessSpec) -> np.ndarray:
    """The model's uint8 input exactly as the app makes it: the runner's reduced-scale decode, then the resize.

    Training on the app's own decode path (libjpeg-turbo DCT scaling to the smallest scale that keeps 1.5x
    the input) means the clinic's pixels are the ones the model learnt from (issue 14)."""
    return resize_rgb(decode_file(path, decode_target(spec), min_ratio=DECODE_MIN_RATIO).rgb, spec)


def _load(items: list[Item], sources: list[str], spec: PreprocessSpec) -> SplitArrays:
    files, rows = [p for p, _ in items], [r for _, r in items]
    with ThreadPoolExecutor(max_workers=4) as pool:
        imgs = list(pool.map(lambda p: app_pixels(p, spec), files))
    arr = SplitArrays(
        images=np.stack(imgs) if imgs else np.zeros((0, spec.height, spec.width, 3), np.uint8),
        labels=np.array([CODES.index(r["dx"]) for r in rows], dtype=np.int64),
        image_ids=[r["image_id"] for r in rows],
        lesion_ids=[r.get("lesion_id") or r["image_id"] for r in rows],
    )
    arr.sources = sources  # type: ignore[attr-defined]
    return arr


def load_sources(spec: PreprocessSpec, limit: int | None = None) -> dict[str, SplitArrays]:
    """train (HAM + pool), val_ham, val_pool, test_ham, test_pool, isic2018: model-size uint8 RGB."""
    out: dict[str, SplitArrays] = {}
    for name in ("train", "val", "test"):
        h, p = ham_items(name)[:limit], pool_items(name)[:limit]
        pool_sources = [r["source"] for _, r in p]
        if name == "train":
            out["train"] = _load(h + p, ["HAM10000"] * len(h) + pool_sources, spec)
        else:
            out[f"{name}_ham"] = _load(h, ["HAM10000"] * len(h), spec)
            out[f"{name}_pool"] = _load(p, pool_sources, spec)
    isic = isic2018_items()[:limit]
    out["isic2018"] = _load(isic, ["ISIC2018"] * len(isic), spec)
    return out


def augmented(x01: torch.Tensor, views: torch.Tensor, gen: torch.Generator, spec: PreprocessSpec,
              zoom_max: float | None = None, aspect: float = 0.0, jpeg_p: float = 0.0) -> torch.Tensor:
    """One training batch as the mixed-source models see it: view, zoom/rotation + colour jitter, the device
    augmentation, then the model's normalisation (channels-last: faster on CPU). The defaults are v4's
    augmentation; --zoom-max / --aspect / --jpeg-p set the others."""
    x = device_augment(jitter_affine(view(x01, views), gen, zoom_max=zoom_max, aspect=aspect), gen, jpeg_p=jpeg_p)
    return normalize(x, spec).contiguous(memory_format=torch.channels_last)


def concat(*parts: SplitArrays) -> SplitArrays:
    return SplitArrays(np.concatenate([p.images for p in parts]), np.concatenate([p.labels for p in parts]),
                       sum((p.image_ids for p in parts), []), sum((p.lesion_ids for p in parts), []))


def report(model: torch.nn.Module, split: SplitArrays, spec: PreprocessSpec, temperature: float) -> dict:
    logits = predict_logits(model, split.images, spec)
    p_raw, p = metrics.softmax(logits), metrics.softmax(logits, temperature)
    rep = metrics.classification_report(p, split.labels, CODES)
    rep["ece_15_bins_before_temperature"] = round(metrics.expected_calibration_error(p_raw, split.labels), 4)
    rep["ece_15_bins_after_temperature"] = round(metrics.expected_calibration_error(p, split.labels), 4)
    rep["probs"] = p
    return rep


def train(args: argparse.Namespace) -> None:
    from training.models.triage_cnn import HEAD, INPUT_HW, N_BLOCKS, TriageCNN

    t0 = time.time()
    spec = lite_spec(INPUT_HW)
    data = load_sources(spec, args.limit)
    print(f"decoded in {time.time() - t0:.0f}s: " + ", ".join(f"{k} {len(v.labels)}" for k, v in data.items()),
          flush=True)
    torch.manual_seed(args.seed)
    model = TriageCNN(pretrained=True).to(memory_format=torch.channels_last)
    tr = data["train"]
    x_all = to_tensor(tr.images, spec)
    y_all = torch.from_numpy(tr.labels)
    weights = class_weights(tr.labels, args.class_weight_power)
    if args.init:  # fine-tune a previous student (e.g. v4) instead of starting from ImageNet
        model.load_state_dict(torch.load(args.init, map_location="cpu"))
    teacher = (torch.from_numpy(load_teacher_logits(args.teacher_logits, tr.image_ids))
               if args.teacher_logits else None)
    tau, alpha = args.kd_temperature, args.kd_alpha

    def step(idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        v = torch.randint(0, 4, (len(idx),), generator=gen)
        s = model(augmented(x_all[idx], v, gen, spec, args.zoom_max, args.aspect, args.jpeg_p))
        ce = F.cross_entropy(s, y_all[idx], weight=weights, label_smoothing=0.05)
        if teacher is None:
            return ce
        # the teacher saw the un-augmented view: its soft targets say what the lesion is, whatever the device
        kd = F.kl_div(F.log_softmax(s / tau, 1), F.softmax(teacher[idx, v] / tau, 1), reduction="batchmean")
        return alpha * kd * tau * tau + (1 - alpha) * ce

    # model selection on ISIC 2018 test (same clinics as HAM10000, never trained on)
    sel = {"train": tr, "val": data["isic2018"]}
    ema = (torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(args.ema),
                                               use_buffers=True) if args.ema else None)
    state, best_epoch = run_epochs(args, model, model.parameters(), spec, sel, step, "student", ema=ema)
    model.load_state_dict(state)
    model.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.out / "student.pt")
    cam_model = TriageCNN(with_cam=True)
    cam_model.load_state_dict(state)
    cam_model.eval()
    model = model.to(memory_format=torch.contiguous_format)

    val = concat(data["val_ham"], data["val_pool"])
    temperature = metrics.fit_temperature(predict_logits(model, val.images, spec), val.labels)
    val_rep = report(model, val, spec, temperature)
    thresholds = metrics.choose_melanoma_first(val_rep.pop("probs"), val.labels, CODES, MALIGNANT)
    per_source = {}
    for key, label in (("test_ham", "HAM10000 test split"), ("test_pool", "BCN/MSK/ISIC test split"),
                       ("isic2018", "ISIC 2018 test (model selection)")):
        rep = report(model, data[key], spec, temperature)
        rep["referral"] = metrics.policy_report(rep.pop("probs"), data[key].labels, CODES, MALIGNANT, thresholds)
        print(format_table(rep, f"{label} n={rep['n']} T={temperature:.3f}"))
        print(f"  ECE after T {rep['ece_15_bins_after_temperature']:.4f}; referral {rep['referral']}", flush=True)
        per_source[key] = rep
    print(f"thresholds {thresholds}")
    cam_hit = cam_in_mask(cam_model, spec, data["test_ham"], HAM)

    name = args.name
    onnx_path = args.out / f"{name}.onnx"
    export_onnx(cam_model, onnx_path, spec.height, spec.width, ("logits", "cam"))
    from training.onnx_macs import count_macs, count_params

    cm_png = args.out / f"{name}_confusion.png"
    test = per_source["test_ham"]
    plot_confusion(test["confusion_matrix"]["rows_true_cols_pred"], CODES, cm_png,
                   f"{name} — HAM10000 test split (lesion-grouped), n={test['n']}")
    cmd = "python -m training.mixed " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    sizes = {k: len(v.labels) for k, v in data.items()}
    card = {
        "format": 1,
        "name": name,
        "version": args.version,
        "architecture": (
            f"TriageCNN: {INPUT_HW[1]}x{INPUT_HW[0]} input; stem and first {N_BLOCKS} inverted-residual blocks of "
            f"EfficientNet-Lite0 initialised from its ImageNet weights, new 1x1 conv-BN-ReLU6 to {HEAD}, global "
            "average pooling, dropout 0.2, linear 7; extra output `cam` (N x 7 x h x w class activation maps)"),
        "input_name": "input",
        "output_name": "logits",
        "outputs": {"logits": "N x 7", "cam": "N x 7 x h x w, classifier applied per position"},
        "input": spec.to_card(),
        "classes": [{"code": c, "name": n} for c, n in CLASSES],
        "malignant_classes": MALIGNANT,
        "temperature": round(temperature, 6),
        "thresholds": thresholds,
        "metrics": {
            "split": "lesion-grouped, class-stratified 70/15/15 of HAM10000 lesions (see training/splits)",
            "test": test,
            "validation": {k: val_rep[k] for k in ("n", "accuracy", "balanced_accuracy", "macro_auc",
                                                   "melanoma_recall")},
            "sources_tensor": {k: {m: v[m] for m in ("n", "accuracy", "balanced_accuracy", "macro_auc",
                                                      "melanoma_recall", "ece_15_bins_after_temperature",
                                                      "referral")} for k, v in per_source.items()},
        },
        "cam_in_lesion_mask": cam_hit,
        "split": {"file": "training/splits/ham10000.csv", "sha256": sha256_file(SPLIT_FILE),
                  "pool_file": "training/splits/isic2019_pool.csv", "pool_sha256": sha256_file(POOL_FILE)},
        "training": {
            "command": cmd, "seed": args.seed, "git_commit": git_commit(), "best_epoch": best_epoch,
            "seconds": round(time.time() - t0, 1), "torch": torch.__version__,
            "model_selection": "balanced accuracy on the ISIC 2018 test set (1,512 images, never trained on)",
            "init": str(args.init) if args.init else "ImageNet (EfficientNet-Lite0 front)",
            "distillation": ({"teacher_logits": [str(t) for t in args.teacher_logits], "kd_temperature": tau,
                              "kd_alpha": alpha, "teacher": TEACHER_NOTE} if args.teacher_logits else None),
            "recipe": (f"class-weighted CE (inverse frequency ^ {args.class_weight_power}, label smoothing 0.05); "
                       f"AdamW lr {args.lr} wd {args.weight_decay}, warm-up + cosine, batch {args.batch_size}, "
                       f"{args.epochs} epochs; flips, +-20 degree rotation, zoom 0.88-{args.zoom_max or 1.12:g}"
                       f"{' with shifts' if args.zoom_max else ''}, aspect jitter exp(+-{args.aspect:g}), colour "
                       "jitter 0.15; device augmentation (down-and-up resolution 0.45-0.9 on half the images, hair, "
                       "white balance, blue/grey tint, gamma, illumination gradient, circular black field, blur, "
                       f"noise, JPEG q30-90 on {args.jpeg_p:.0%})"
                       + (f"; EMA of the weights (decay {args.ema:g}) validated and kept" if args.ema else "")),
        },
        "training_data": (f"HAM10000 train split + BCN20000 / MSK / ISIC archive (ISIC 2019 non-HAM, 256 px ISIC 2017 "
                          f"copies where available) train split: {sizes['train']} images; pooled validation "
                          f"{len(val.labels)}; ISIC 2018 test {sizes['isic2018']} for model selection. Derm7pt never "
                          "used (external test)."),
        "decode_path": ("the runner's: inference.image.decode_file at the smallest libjpeg-turbo DCT scale that keeps "
                        "1.5x the input (600x450 -> 1/4; 200x150 and smaller: full size), stretched to the input size "
                        "with INTER_AREA; training decoded its images the same way (training.mixed.app_pixels)"),
        "license": LICENSE,
        "license_note": ("Trained on HAM10000, BCN20000, MSK and ISIC archive images (CC BY-NC 4.0): the model is "
                         "for non-commercial research use."),
        "citation": CITATION + "; Combalia et al., BCN20000 (arXiv:1908.02288); Codella et al. (arXiv:1710.05006)",
        "disclaimer": "For research use; not a medical device; does not replace a clinician's diagnosis.",
        "confusion_png": cm_png.name,
        "params": count_params(onnx_path),
        "macs": count_macs(onnx_path),
        "onnx": {"file": onnx_path.name, "sha256": sha256_file(onnx_path), "opset": OPSET,
                 "precision": "float32", "bytes": onnx_path.stat().st_size},
    }
    write_card(card, args.out / f"{name}.json")
    print(f"wrote {onnx_path} ({card['params']} params, {card['macs']} MACs), {time.time() - t0:.0f}s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", default="triage_cnn")
    ap.add_argument("--version", default="4.0.0")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "mixed")
    add_loop_args(ap, epochs=14, patience=14)
    ap.add_argument("--init", type=Path, default=None, help="student.pt to fine-tune instead of ImageNet weights")
    ap.add_argument("--teacher-logits", type=Path, nargs="+", default=None,
                    help="teacher_logits.npz from training.mixed_teacher: distil from them")
    ap.add_argument("--kd-temperature", type=float, default=3.0)
    ap.add_argument("--kd-alpha", type=float, default=0.5)
    ap.add_argument("--zoom-max", type=float, default=None,
                    help="largest zoom-in (default 1.12, v4); when given, zoomed-in views are also shifted")
    ap.add_argument("--aspect", type=float, default=0.0, help="aspect-ratio jitter, exp(+-ASPECT) (v4: 0)")
    ap.add_argument("--jpeg-p", type=float, default=0.0, help="share of images re-encoded at JPEG q30-90 (v4: 0)")
    ap.add_argument("--ema", type=float, default=0.0, help="keep an EMA of the weights with this decay (v4: none)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train(args)


if __name__ == "__main__":
    main()
