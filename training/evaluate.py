"""Predict logits on a split and turn them into the model card's metrics, table and confusion plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from inference.preprocess import PreprocessSpec
from training import metrics
from training.classes import CODES
from training.data import eval_transform


@torch.no_grad()
def predict_logits(model: torch.nn.Module, images_u8: np.ndarray, spec: PreprocessSpec,
                   batch: int = 256) -> np.ndarray:
    model.eval()
    outs = []
    for i in range(0, len(images_u8), batch):
        outs.append(model(eval_transform(images_u8[i : i + batch], spec)).numpy())
    return np.concatenate(outs) if outs else np.zeros((0, len(CODES)), np.float32)


def format_table(report: dict, title: str) -> str:
    lines = [title, f"  accuracy {report['accuracy']:.4f}  balanced accuracy {report['balanced_accuracy']:.4f}  "
             f"macro AUC {report['macro_auc']:.4f}  n={report['n']}",
             f"  {'class':6s} {'prec':>6s} {'recall':>6s} {'f1':>6s} {'auc':>6s} {'n':>5s}"]
    order = ["mel"] + [c for c in CODES if c != "mel"]  # melanoma first
    for code in order:
        r = report["per_class"][code]
        lines.append(f"  {code:6s} {r['precision']:6.3f} {r['recall']:6.3f} {r['f1']:6.3f} {r['auc']:6.3f} "
                     f"{r['support']:5d}")
    return "\n".join(lines)


def plot_confusion(cm: list[list[int]], labels: list[str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arr = np.asarray(cm, dtype=float)
    norm = arr / np.maximum(arr.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(5.2, 4.6), dpi=110)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, f"{int(arr[i, j])}", ha="center", va="center",
                    color="white" if norm[i, j] > 0.5 else "black", fontsize=8)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


class KeepBest:
    """Early stopping on validation balanced accuracy, shared by train.py and distill.py.

    Keeps a copy of the best weights; `update` prints the epoch line and says whether to stop.
    """

    def __init__(self, patience: int, desc: str = "") -> None:
        self.patience = patience
        self.prefix = f"{desc} " if desc else ""
        self.best = -1.0
        self.best_epoch = 0
        self.state: dict[str, torch.Tensor] | None = None
        self.stale = 0

    def update(self, model: torch.nn.Module, data: dict, spec: PreprocessSpec, epoch: int, loss: float) -> bool:
        rep = metrics.classification_report(metrics.softmax(predict_logits(model, data["val"].images, spec)),
                                            data["val"].labels, CODES)
        improved = rep["balanced_accuracy"] > self.best
        print(f"{self.prefix}epoch {epoch:3d}  loss {loss:.4f}  val acc {rep['accuracy']:.4f}  "
              f"val bal-acc {rep['balanced_accuracy']:.4f}  val mel recall {rep['melanoma_recall']:.3f}  "
              f"val macro-AUC {rep['macro_auc']:.4f}{'  *' if improved else ''}", flush=True)
        if improved:
            self.best, self.best_epoch, self.stale = rep["balanced_accuracy"], epoch, 0
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return False
        self.stale += 1
        if self.stale >= self.patience:
            print(f"{self.prefix}early stop: no better validation balanced accuracy for {self.patience} epochs")
            return True
        return False
