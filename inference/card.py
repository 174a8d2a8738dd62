"""The model card: the one contract between training and the app.

Everything needed to run a model honestly (classes, preprocessing, temperature, referral thresholds)
is read from the card, so a new model ships as two files and nothing in the app is hard-coded to one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inference.errors import CardError, ModelMissingError
from inference.preprocess import PreprocessSpec
from inference.resources import models_dir

DEFAULT_MODEL = "triage_cnn"
PRIORITIES = ("urgent", "soon", "routine")


@dataclass(frozen=True)
class ClassInfo:
    code: str
    name: str


@dataclass(frozen=True)
class Thresholds:
    """Referral cut-offs on the summed probability of the malignant classes."""

    urgent: float
    soon: float
    rule: str = ""

    def priority(self, malignant_score: float) -> str:
        if malignant_score >= self.urgent:
            return "urgent"
        if malignant_score >= self.soon:
            return "soon"
        return "routine"

    def explain(self, malignant_score: float) -> str:
        p = self.priority(malignant_score)
        if p == "urgent":
            return f"malignant probability {malignant_score:.1%} >= urgent threshold {self.urgent:.1%}"
        if p == "soon":
            return (f"malignant probability {malignant_score:.1%} >= soon threshold {self.soon:.1%} "
                    f"(< urgent {self.urgent:.1%})")
        return f"malignant probability {malignant_score:.1%} < soon threshold {self.soon:.1%}"


@dataclass(frozen=True)
class ModelCard:
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
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.classes]

    def full_name(self, code: str) -> str:
        return next((c.name for c in self.classes if c.code == code), code)

    @classmethod
    def load(cls, path: str | Path) -> ModelCard:
        path = Path(path)
        if not path.is_file():
            raise ModelMissingError(f"model card not found: {path}")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CardError(f"model card {path.name} is not readable JSON: {exc}") from exc
        try:
            classes = tuple(ClassInfo(str(c["code"]), str(c["name"])) for c in raw["classes"])
            thr = raw["thresholds"]
            thresholds = Thresholds(float(thr["urgent"]), float(thr["soon"]), str(thr.get("rule", "")))
            card = cls(
                name=str(raw["name"]),
                version=str(raw["version"]),
                card_path=path,
                onnx_path=path.with_name(str(raw["onnx"]["file"])),
                onnx_sha256=str(raw["onnx"]["sha256"]).lower(),
                spec=PreprocessSpec.from_card(raw["input"]),
                classes=classes,
                malignant=tuple(str(c) for c in raw.get("malignant_classes", ["mel", "bcc", "akiec"])),
                temperature=float(raw.get("temperature", 1.0)),
                thresholds=thresholds,
                input_name=str(raw.get("input_name", "input")),
                output_name=str(raw.get("output_name", "logits")),
                raw=raw,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CardError(f"model card {path.name} lacks or garbles a required field: {exc!r}") from exc
        if not card.classes or len({c.code for c in card.classes}) != len(card.classes):
            raise CardError(f"model card {path.name}: class list is empty or has duplicates")
        unknown = set(card.malignant) - set(card.codes)
        if unknown:
            raise CardError(f"model card {path.name}: malignant classes {sorted(unknown)} are not model classes")
        if not card.temperature > 0:
            raise CardError(f"model card {path.name}: temperature must be positive")
        if not 0 <= card.thresholds.soon <= card.thresholds.urgent <= 1:
            raise CardError(f"model card {path.name}: thresholds must satisfy 0 <= soon <= urgent <= 1")
        return card


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
