"""Count parameters and multiply-accumulates on an exported ONNX graph, the way the paper counts.

MACs are counted for Conv (per output element: Cin/groups x kH x kW) and Gemm/MatMul (M x K x N),
which is what "FLOPs" means in the paper (30.04M for its CNN). Counting on the exported graph rather
than on the PyTorch module means the number describes exactly what ships.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference


def _shape_map(model: onnx.ModelProto, batch: int) -> dict[str, list[int]]:
    model = onnx.ModelProto.FromString(model.SerializeToString())
    for inp in model.graph.input:
        dims = inp.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].ClearField("dim_param")
            dims[0].dim_value = batch
    inferred = shape_inference.infer_shapes(model, strict_mode=True)
    shapes: dict[str, list[int]] = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        dims = vi.type.tensor_type.shape.dim
        shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else -1 for d in dims]
    for init in inferred.graph.initializer:
        shapes[init.name] = list(init.dims)
    return shapes


def count_params(path: str | Path) -> int:
    """Trainable parameters: every float initializer that feeds a Conv, Gemm, MatMul, Add or norm weight.

    QDQ graphs store quantized weights as int8 initializers plus scales; only tensors of the original
    weights count, so int8 files report the same number as their float parent.
    """
    model = onnx.load(str(path))
    quantized = {n.input[0] for n in model.graph.node if n.op_type == "DequantizeLinear"}
    total = 0
    for init in model.graph.initializer:
        arr = numpy_helper.to_array(init)
        if init.name in quantized or np.issubdtype(arr.dtype, np.floating):
            if arr.ndim == 0 or (arr.ndim == 1 and arr.size == 1 and init.name not in quantized):
                continue  # scalars: scales, zero points, constants
            if "scale" in init.name or "zero_point" in init.name:
                continue
            total += int(arr.size)
    return total


def _fold_constants(model: onnx.ModelProto) -> onnx.ModelProto:
    """Fix the batch at 1 and let ONNX Runtime fold shape arithmetic (e.g. TF-style 'same' padding)."""
    import tempfile

    import onnxruntime as ort

    model = onnx.ModelProto.FromString(model.SerializeToString())
    for inp in model.graph.input:
        dims = inp.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].ClearField("dim_param")
            dims[0].dim_value = 1
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.onnx", Path(tmp) / "folded.onnx"
        onnx.save(model, str(src))
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        opts.optimized_model_filepath = str(dst)
        ort.InferenceSession(str(src), opts, providers=["CPUExecutionProvider"])
        return onnx.load(str(dst))


def count_macs(path: str | Path) -> int:
    """Multiply-accumulates for one image (batch 1), Conv + Gemm/MatMul only."""
    model = onnx.load(str(path))
    try:
        return _count_macs(model, path)
    except ValueError:
        return _count_macs(_fold_constants(model), path)


def _count_macs(model: onnx.ModelProto, path: str | Path) -> int:
    shapes = _shape_map(model, batch=1)
    macs = 0

    def known(name: str) -> list[int]:
        dims = shapes.get(name)
        if dims is None or any(d <= 0 for d in dims):
            raise ValueError(f"{Path(path).name}: shape of {name!r} is not static ({dims}); cannot count MACs")
        return dims

    for node in model.graph.node:
        if node.op_type == "Conv":
            w = known(node.input[1])  # (Cout, Cin/group, kH, kW): each output element costs Cin/group*kH*kW
            out = known(node.output[0])
            macs += int(np.prod(out)) * w[1] * int(np.prod(w[2:]))
        elif node.op_type in ("Gemm", "MatMul"):
            a, b = known(node.input[0]), known(node.input[1])
            trans_b = next((x.i for x in node.attribute if x.name == "transB"), 0)
            k = a[-1]
            n = b[-2] if trans_b else b[-1]
            m = int(np.prod(a[:-1]))
            macs += m * k * n
    return macs
