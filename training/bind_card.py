"""Bind a model card to its ONNX weights: `python -m training.bind_card assets/models/NAME.json [...]`.

Writes the binding (inference/binding.py: the card fields that must not drift, their digest, and the
model's logits for a fixed probe input) into the ONNX file's metadata_props, then updates the card's
`onnx.sha256`, `onnx.bytes` and `onnx.binding_sha256`. Run it last, after every edit of the card's bound
fields (classes, input spec, temperature, thresholds, name, version); metrics and prose may change later.
Idempotent: re-binding replaces the old binding.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from inference import strict_json
from inference.binding import BINDING_KEY, binding_digest, make_binding, probe_input
from inference.card import ModelCard
from inference.card_schema import validate_card


def _probe_logits(onnx_path: Path, raw: dict) -> np.ndarray:
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    x = probe_input(int(raw["input"]["height"]), int(raw["input"]["width"]))
    return sess.run([raw.get("output_name", "logits")], {raw.get("input_name", "input"): x})[0]


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def bind(card_path: Path) -> str:
    """Bind one card; returns a one-line summary. The card must already match its ONNX file's sha256."""
    card_path = Path(card_path)
    ModelCard.load(card_path)  # a card the app cannot read is not bound
    raw = strict_json.loads(card_path.read_text(encoding="utf-8"))
    onnx_path = card_path.with_name(raw["onnx"]["file"])
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    if digest != raw["onnx"]["sha256"].lower():
        raise SystemExit(f"{onnx_path.name}: sha256 does not match its card; refusing to bind a model that "
                         "already differs from its card")
    model = onnx.load(str(onnx_path))
    kept = [p for p in model.metadata_props if p.key != BINDING_KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    text = make_binding(raw, _probe_logits(onnx_path, raw))
    entry = model.metadata_props.add()
    entry.key, entry.value = BINDING_KEY, text
    data = model.SerializeToString()
    _atomic_write(onnx_path, data)
    raw["onnx"]["sha256"] = hashlib.sha256(data).hexdigest()
    raw["onnx"]["bytes"] = len(data)
    raw["onnx"]["binding_sha256"] = binding_digest(text)
    validate_card(raw, f"model card {card_path.name}")
    _atomic_write(card_path, (strict_json.dumps(raw, indent=2) + "\n").encode("utf-8"))
    from inference.session import Model

    model_ok = Model(ModelCard.load(card_path))  # verify the way the app will
    assert model_ok.binding_warning == "", model_ok.binding_warning
    return f"bound {card_path.name} <-> {onnx_path.name} (sha256 {raw['onnx']['sha256'][:12]}...)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cards", nargs="+", type=Path)
    args = ap.parse_args(argv)
    for card in args.cards:
        print(bind(card))
    return 0


if __name__ == "__main__":
    sys.exit(main())
