"""The model card: the one contract between training and the app.

Everything needed to run a model honestly (classes, preprocessing, temperature, referral thresholds)
is read from the card, so a new model ships as two files and nothing in the app is hard-coded to one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inference import strict_json
from inference.card_schema import CardFile, ClassInfo, validate_card
from inference.errors import CardError, ModelMissingError, NamedFileError
from inference.files import read_named_file
from inference.preprocess import PreprocessSpec
from inference.referral import Thresholds
from inference.resources import models_dir

DEFAULT_MODEL = "triage_cnn"


@dataclass(frozen=True)
class ModelCard:
    """A validated card file plus what the runner needs from it, resolved (paths, spec, thresholds)."""

    name: str
    version: str
    card_path: Path
    onnx_path: Path
    onnx_sha256: str
    spec: PreprocessSpec
    classes: tuple[ClassInfo, ...]
    malignant: tuple[str, ...]
    temperature: float
    thresholds: Thresholds
    input_name: str = "input"
    output_name: str = "logits"
    doc: CardFile | None = field(default=None, compare=False, repr=False)  # everything else the card says
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # the JSON as read

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.classes]

    def full_name(self, code: str) -> str:
        return next((c.name for c in self.classes if c.code == code), code)

    @classmethod
    def load(cls, path: str | Path) -> ModelCard:
        path = Path(path)
        try:  # the guarded reader: a FIFO or a device named as a card is refused with its kind, never opened
            data = read_named_file(path, "model card")
        except NamedFileError as exc:
            if exc.missing:
                raise ModelMissingError(f"model card not found: {path}") from exc
            raise CardError(str(exc)) from exc
        try:  # NaN / Infinity in an older card read as null ("not measured"); cards are written strictly
            raw = strict_json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CardError(f"model card {path.name} is not readable JSON: {exc}") from exc
        doc = validate_card(raw, f"model card {path.name}")
        return cls(
            name=doc.name,
            version=doc.version,
            card_path=path,
            onnx_path=path.with_name(doc.onnx.file),
            onnx_sha256=doc.onnx.sha256.lower(),
            spec=doc.preprocess_spec(),
            classes=doc.classes,
            malignant=doc.malignant_classes,
            temperature=doc.temperature,
            thresholds=doc.referral_thresholds(),
            input_name=doc.input_name,
            output_name=doc.output_name,
            doc=doc,
            raw=raw,
        )


def card_path_for(name_or_path: str | Path | None = None, directory: Path | None = None) -> Path:
    """A model name (`paper_cnn`) or a path to its .json/.onnx -> the card's path."""
    name_or_path = name_or_path or DEFAULT_MODEL
    p = Path(name_or_path)
    if p.suffix in (".json", ".onnx") or p.parent != Path("."):
        return p.with_suffix(".json")
    return (directory or models_dir()) / f"{name_or_path}.json"


def available_models(directory: Path | None = None) -> list[str]:
    """Names of shipped models: every ONNX file with a card beside it."""
    d = directory or models_dir()
    return sorted(p.stem for p in d.glob("*.onnx") if p.with_suffix(".json").is_file())
