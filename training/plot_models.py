"""Accuracy against MACs (log scale), one point per model, from the shipped model cards.

    python -m training.plot_models        # writes docs/model_comparison.png

ResNet50 is drawn at the paper's reported accuracy (no ImageNet weights offline) and our counted MACs;
the paper CNN's own figure (87.05%, split unknown) is drawn hollow for the same reason. An int8 variant that
was measured but not shipped (its card's `int8_variant`) is drawn as a cross.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESNET50_MACS = 4_087_150_592  # benchmarks/export_resnet50.py, counted on its ONNX graph


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for card_path in sorted((ROOT / "assets" / "models").glob("*.json")):
        card = json.loads(card_path.read_text())
        t = card["metrics"]["test"]
        ax.scatter(card["macs"], 100 * t["accuracy"], s=40, zorder=3)
        ax.annotate(f"{card['name']}\nbal. acc {t['balanced_accuracy']:.2f}", (card["macs"], 100 * t["accuracy"]),
                    textcoords="offset points", xytext=(6, -4), fontsize=7)
        ext = card["metrics"].get("sources", {}).get("derm7pt")
        if ext:  # the external clinic: another source and device, never used in training
            ax.scatter(card["macs"], 100 * ext["accuracy"], s=40, marker="D", color="tab:purple", zorder=3)
            ax.plot([card["macs"]] * 2, [100 * ext["accuracy"], 100 * t["accuracy"]], color="tab:purple", lw=0.6,
                    ls="--")
            ax.annotate(f"{card['name']} on Derm7pt (external)\nbal. acc {ext['balanced_accuracy']:.2f}, "
                        f"{ext['refused_fraction']:.0%} refused", (card["macs"], 100 * ext["accuracy"]),
                        textcoords="offset points", xytext=(6, -4), fontsize=7, color="tab:purple")
        variant = card.get("int8_variant")
        if variant:  # measured, not shipped (lost too much balanced accuracy)
            v = variant["test"]
            ax.scatter(variant["macs"], 100 * v["accuracy"], s=40, marker="x", color="tab:red", zorder=3)
            ax.annotate(f"{card['name']} int8 (not shipped)\nbal. acc {v['balanced_accuracy']:.2f}",
                        (variant["macs"], 100 * v["accuracy"]), textcoords="offset points", xytext=(6, -10),
                        fontsize=7)
    ax.scatter(30_037_824, 87.05, s=40, facecolors="none", edgecolors="grey", zorder=3)
    ax.annotate("paper CNN (paper's figure,\nsplit unknown)", (30_037_824, 87.05), textcoords="offset points",
                xytext=(6, -4), fontsize=7, color="grey")
    ax.scatter(RESNET50_MACS, 89.08, s=40, facecolors="none", edgecolors="grey", zorder=3)
    ax.annotate("ResNet50 (paper's accuracy)", (RESNET50_MACS, 89.08), textcoords="offset points",
                xytext=(-130, -4), fontsize=7, color="grey")
    ax.axvline(30_037_824, color="grey", lw=0.6, ls=":")
    ax.set_xscale("log")
    ax.set_xlim(1.5e7, 7e9)
    ax.set_xlabel("multiply-accumulates per image (log scale)")
    ax.set_ylabel("accuracy, HAM10000 lesion-grouped test split (%)")
    ax.set_title("DermTriage models: accuracy vs compute (filled: measured by us)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    out = ROOT / "docs" / "model_comparison.png"
    fig.savefig(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
