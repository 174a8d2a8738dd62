"""A verified ONNX Runtime session for one model card.

The file is hashed and its graph checked against the card before a single probability is produced:
a clinician must never see numbers from a model that is not the one the card describes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort

from inference.binding import BINDING_KEY, binding_digest, verify_binding
from inference.card import ModelCard, card_path_for
from inference.errors import ModelError, ModelMissingError, ModelShapeError, ModelTamperedError, NamedFileError
from inference.files import read_named_file
from inference.shipped import CUSTOM_BOUND, CUSTOM_UNBOUND, SHIPPED, check_shipped

if hasattr(ort, "disable_telemetry_events"):  # belt and braces beside ORT_DISABLE_TELEMETRY (inference/__init__)
    ort.disable_telemetry_events()

# Fastest on the 2-core reference laptop for batch-1 latency of the paper CNN (benchmarks/bench_inference.py).
DEFAULT_THREADS = 1
ATTENTION_OUTPUT = "cam"  # optional graph output: class activation maps, N x classes x h x w
MAX_MODEL_BYTES = 512 * 1024 * 1024  # the shipped models are 0.7-14 MB; a ResNet-50 benchmark export is ~100 MB


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _dims(value_info: ort.NodeArg) -> list[int | str | None]:
    return list(value_info.shape)


class Model:
    """One model: its card, a CPU InferenceSession, and calibrated probabilities."""

    def __init__(self, card: ModelCard, threads: int = DEFAULT_THREADS) -> None:
        self.card = card
        self.threads = max(1, int(threads))
        try:  # the guarded reader: a FIFO or device named as the weights is refused, never opened blocking
            data = read_named_file(card.onnx_path, "model file", max_bytes=MAX_MODEL_BYTES)
        except NamedFileError as exc:
            if exc.missing:
                raise ModelMissingError(f"model file not found: {card.onnx_path}") from exc
            raise ModelError(str(exc)) from exc
        # The session is built from these very bytes: what was hashed is what runs (no second read by path).
        digest = hashlib.sha256(data).hexdigest()
        if digest != card.onnx_sha256:
            raise ModelTamperedError(
                f"{card.onnx_path.name}: sha256 {digest[:12]}... does not match its card "
                f"({card.onnx_sha256[:12]}...); the file was changed or corrupted"
            )
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"{card.onnx_path.name} cannot be loaded by ONNX Runtime: {exc}") from exc
        del data
        try:
            self._metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        except Exception:  # noqa: BLE001 - a graph without metadata is simply unbound
            self._metadata = {}
        # A model claiming a shipped name must be that model, byte for byte (inference/shipped.py).
        bound_text = self._metadata.get(BINDING_KEY)
        shipped = check_shipped(card.name, card.version, card.card_path, digest,
                                str((card.raw.get("onnx") or {}).get("binding_sha256") or ""),
                                binding_digest(bound_text) if bound_text is not None else "")
        self._check_graph()
        self.binding_warning = self._check_binding(pinned=shipped)
        # What every output made with this model says it is: shipped, or a custom model (bound or not).
        self.binding_status = SHIPPED if shipped else (CUSTOM_UNBOUND if self.binding_warning else CUSTOM_BOUND)

    @property
    def custom_model_notice(self) -> str:
        """"" for a shipped model; else the sentence the window's banner and the PDF show."""
        if self.binding_status == SHIPPED:
            return ""
        if self.binding_status == CUSTOM_BOUND:
            return (f"Custom model {self.name} {self.version}: not one this DermTriage ships (its card is bound "
                    "to its weights, but its validation is not the app's).")
        return (f"Custom model {self.name} {self.version}, NOT bound to its card: nothing checks that its class "
                "order and settings match its weights. Results may be wrong.")

    def _check_binding(self, pinned: bool) -> str:
        """The card bound to the weights (inference/binding.py): refused on a mismatch, a warning if unbound."""
        metadata = self._metadata

        def probe(x: np.ndarray) -> np.ndarray:
            return self.session.run([self.card.output_name], {self.card.input_name: x})[0]

        return verify_binding(self.card.raw, metadata, self.card.onnx_path.name, probe,
                              (self.card.spec.height, self.card.spec.width), pinned=pinned)

    @classmethod
    def load(cls, name_or_path: str | Path | None = None, threads: int = DEFAULT_THREADS,
             directory: Path | None = None) -> Model:
        return cls(ModelCard.load(card_path_for(name_or_path, directory)), threads=threads)

    def _check_graph(self) -> None:
        spec, card = self.card.spec, self.card
        inputs = {i.name: i for i in self.session.get_inputs()}
        outputs = {o.name: o for o in self.session.get_outputs()}
        if card.input_name not in inputs:
            raise ModelShapeError(f"graph has no input {card.input_name!r} (has {sorted(inputs)})")
        if card.output_name not in outputs:
            raise ModelShapeError(f"graph has no output {card.output_name!r} (has {sorted(outputs)})")
        shape = _dims(inputs[card.input_name])
        if len(shape) != 4 or shape[1:] != [3, spec.height, spec.width]:
            raise ModelShapeError(f"graph input shape {shape} differs from the card's [N, 3, {spec.height}, "
                                  f"{spec.width}]")
        if isinstance(shape[0], int) and shape[0] != 1:
            raise ModelShapeError(f"graph input has a fixed batch of {shape[0]}")
        out = _dims(outputs[card.output_name])
        if len(out) != 2 or out[1] != len(card.classes):
            raise ModelShapeError(f"graph output shape {out} differs from the card's {len(card.classes)} classes")
        self.dynamic_batch = not isinstance(shape[0], int)
        cam = outputs.get(ATTENTION_OUTPUT)
        self.has_attention = cam is not None
        if cam is not None and (len(_dims(cam)) != 4 or _dims(cam)[1] != len(card.classes)):
            raise ModelShapeError(f"graph output {ATTENTION_OUTPUT!r} shape {_dims(cam)} is not [N, "
                                  f"{len(card.classes)}, h, w]")
        fg = card.doc.feature_gate if card.doc is not None else None
        self.feature_output = fg.output if fg is not None else None
        if fg is not None:
            feats = outputs.get(fg.output)
            if feats is None or len(_dims(feats)) != 2 or _dims(feats)[1] != len(fg.w):
                raise ModelShapeError(f"the card's feature gate needs a graph output {fg.output!r} of [N, {len(fg.w)}]"
                                      f" (graph has {sorted(outputs)})")

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def version(self) -> str:
        return self.card.version

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """float32 NCHW in, raw logits out (batched when the graph allows it); no maps are fetched."""
        return self.infer(batch, with_attention=False)[0]

    def infer(self, batch: np.ndarray, with_attention: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Logits plus, when the graph has them, class activation maps (N x classes x h x w).

        The maps come from the same run as the logits, so showing where the model looked costs nothing
        extra per image.
        """
        with_attention = with_attention and self.has_attention
        outs = self._run([self.card.output_name] + ([ATTENTION_OUTPUT] if with_attention else []), batch)
        return outs[0], (outs[1] if with_attention else None)

    def infer_all(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Logits, activation maps and the pooled features the card's feature gate reads, from one run."""
        names = [self.card.output_name]
        if self.has_attention:
            names.append(ATTENTION_OUTPUT)
        if self.feature_output:
            names.append(self.feature_output)
        outs = dict(zip(names, self._run(names, batch), strict=True))
        return (outs[self.card.output_name], outs.get(ATTENTION_OUTPUT),
                outs.get(self.feature_output) if self.feature_output else None)

    def _run(self, names: list[str], batch: np.ndarray) -> list[np.ndarray]:
        feed = np.ascontiguousarray(batch, dtype=np.float32)
        if self.dynamic_batch or len(feed) == 1:
            return self.session.run(names, {self.card.input_name: feed})
        runs = [self.session.run(names, {self.card.input_name: feed[i : i + 1]}) for i in range(len(feed))]
        return [np.concatenate([r[j] for r in runs]) for j in range(len(names))]

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """softmax(logits / T), T fitted on the validation split so 70% means about 70%."""
        z = logits.astype(np.float64) / self.card.temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def malignant_score(self, probs: np.ndarray) -> np.ndarray:
        idx = [self.card.codes.index(c) for c in self.card.malignant]
        return probs[..., idx].sum(axis=-1)


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
