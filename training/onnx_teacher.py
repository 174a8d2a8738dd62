"""Cache a trained ONNX model's logits over the mixed training pool, as one teacher of an ensemble.

    git show 21a76ec:assets/models/triage_cnn.onnx > runs/v4.onnx     # v4, the student shipped before v7
    python -m training.onnx_teacher --model runs/v4.onnx --out runs/v4_logits

Why: the mean logits of two differently built teachers are a better target than either alone (issue 3
found it for two Lite0 teachers). For v7 the pair is the Lite2 teacher (training/mixed_teacher.py) and
the previous student v4: on the HAM10000 and pool test splits their mean beats both (README, v7). The
cache has `training.distill.cache_view_logits`'s layout (N x 4 shape-keeping views x 7, the pool's
image ids), which `python -m training.mixed --teacher-logits A B` averages. The model reads the
student's own input (96x72, the card's normalisation); Derm7pt is never loaded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

from training.distill import onnx_view_logits
from training.mixed import load_sources
from training.models.lite0 import lite_spec
from training.models.triage_cnn import INPUT_HW

STUDENT_SPEC = lite_spec(INPUT_HW)  # the student's own input: what training.mixed decodes the pool to


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="an ONNX file with input `input`, output `logits`")
    ap.add_argument("--out", type=Path, required=True, help="folder for teacher_logits.npz")
    ap.add_argument("--limit", type=int, default=None, help="images per split and source (smoke runs)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    sess = ort.InferenceSession(str(args.model), opts, providers=["CPUExecutionProvider"])
    (h, w) = sess.get_inputs()[0].shape[2:]
    if (h, w) != INPUT_HW:
        sys.exit(f"{args.model} reads {w}x{h}; the student's pool is decoded at {INPUT_HW[1]}x{INPUT_HW[0]}")
    tr = load_sources(STUDENT_SPEC, args.limit)["train"]
    logits = onnx_view_logits(sess, tr.images, STUDENT_SPEC, batch=256)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez(args.out / "teacher_logits.npz", logits=logits, image_ids=np.array(tr.image_ids))
    print(f"cached {logits.shape} logits of {args.model} -> {args.out / 'teacher_logits.npz'}", flush=True)


if __name__ == "__main__":
    main()
