"""Export the ResNet50 baseline (random weights, 7-class head) to ONNX for speed comparison only.

    python benchmarks/export_resnet50.py [--out runs/resnet50.onnx]

Not committed (about 94 MB). No ImageNet weights exist offline, so its accuracy is the paper's 89.08%.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def export(out: Path) -> Path:
    import torch

    from training.export import export_onnx
    from training.models.resnet50 import INPUT_HW, ResNet50

    torch.manual_seed(0)
    out.parent.mkdir(parents=True, exist_ok=True)
    export_onnx(ResNet50().eval(), out, *INPUT_HW)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "resnet50.onnx")
    args = ap.parse_args()
    path = export(args.out)
    from training.onnx_macs import count_macs, count_params

    print(f"{path}: {count_params(path):,} params, {count_macs(path):,} MACs at 224x224")


if __name__ == "__main__":
    main()
