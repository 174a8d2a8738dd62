"""Export a trained model to ONNX (fp32 and static int8 QDQ) and write its model card."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from inference import strict_json
from inference.card_schema import validate_card  # the app reads cards through the same schema
from inference.session import sha256_file  # the app verifies with the same function

__all__ = ["OPSET", "export_onnx", "quantize_int8", "sha256_file", "write_card"]

OPSET = 17


def export_onnx(model: torch.nn.Module, path: Path, height: int, width: int,
                outputs: tuple[str, ...] = ("logits",)) -> None:
    """One float32 NCHW input `input` with a dynamic batch; `logits` (and e.g. `cam`) out."""
    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model, torch.zeros(1, 3, height, width), str(path),
        input_names=["input"], output_names=list(outputs),
        dynamic_axes={"input": {0: "batch"}, **{o: {0: "batch"} for o in outputs}},
        opset_version=OPSET, dynamo=False,
    )


def quantize_int8(fp32_path: Path, int8_path: Path, calib: np.ndarray, batch: int = 32) -> None:
    """Static int8 QDQ quantization, calibrated on preprocessed training images (float32 NCHW)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter([{"input": calib[i : i + batch]} for i in range(0, len(calib), batch)])

        def get_next(self):  # noqa: ANN201 - onnxruntime's interface
            return next(self._it, None)

    pre = int8_path.with_suffix(".pre.onnx")
    quant_pre_process(str(fp32_path), str(pre))
    try:
        quantize_static(str(pre), str(int8_path), Reader(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True)
    finally:
        pre.unlink(missing_ok=True)


def write_card(card: dict, path: Path) -> None:
    """Write a model card, after checking it against the app's schema (inference.card_schema.CardFile): a card
    the app could not read, or would read differently, fails here, at training time, with the field named."""
    card = strict_json.finite_or_none(card)  # NaN (a class absent from a split) is written as null: strict JSON
    validate_card(card, f"model card {path.name}")
    path.write_text(strict_json.dumps(card, indent=2) + "\n")
