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
from inference.typed_json import SchemaError, from_json
from inference.vocab import Priority

DEFAULT_MODEL = "triage_cnn"


@dataclass(frozen=True)
class ClassInfo:
    code: str
    name: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


MELANOMA_FIRST = "melanoma_first"
MALIGNANT_SUM = "malignant_sum"
RULES = (MELANOMA_FIRST, MALIGNANT_SUM)


@dataclass(frozen=True)
class Thresholds:
    """The referral rule and its cut-offs.

    `melanoma_first` follows the referral pathways (NICE NG12): suspected melanoma (P(mel) >= urgent) is
    urgent; otherwise P(mel)+P(bcc)+P(akiec) >= soon is soon (suspected BCC, AK / intraepithelial
    carcinoma, less likely melanoma). `malignant_sum` is the older rule of models trained before it
    (both cut-offs on the summed malignant probability), kept so their cards still mean what they say.
    """

    urgent: float
    soon: float
    rule: str = ""  # the card's words for the rule
    kind: str = MALIGNANT_SUM

    @property
    def urgent_score(self) -> str:
        return "P(mel)" if self.kind == MELANOMA_FIRST else "P(malignant)"

    def priority(self, malignant_score: float, p_mel: float | None = None) -> Priority:
        if self.kind == MELANOMA_FIRST:
            if p_mel is not None and p_mel >= self.urgent:
                return Priority.URGENT
        elif malignant_score >= self.urgent:
            return Priority.URGENT
        if malignant_score >= self.soon:
            return Priority.SOON
        return Priority.ROUTINE

    def explain(self, malignant_score: float, p_mel: float | None = None) -> str:
        p = self.priority(malignant_score, p_mel)
        if self.kind == MELANOMA_FIRST:
            mel = 0.0 if p_mel is None else p_mel
            if p == Priority.URGENT:
                return f"suspected melanoma: P(mel) {mel:.1%} >= urgent threshold {self.urgent:.1%}"
            if p == Priority.SOON:
                return (f"P(malignant) {malignant_score:.1%} >= soon threshold {self.soon:.1%} "
                        f"(P(mel) {mel:.1%} < urgent {self.urgent:.1%})")
            return (f"P(malignant) {malignant_score:.1%} < soon threshold {self.soon:.1%} and P(mel) {mel:.1%} "
                    f"< urgent {self.urgent:.1%}")
        if p == Priority.URGENT:
            return f"malignant probability {malignant_score:.1%} >= urgent threshold {self.urgent:.1%}"
        if p == Priority.SOON:
            return (f"malignant probability {malignant_score:.1%} >= soon threshold {self.soon:.1%} "
                    f"(< urgent {self.urgent:.1%})")
        return f"malignant probability {malignant_score:.1%} < soon threshold {self.soon:.1%}"


# ---- the card file's schema: what training writes (training/export.write_card) and the app reads ----------
CARD_FORMAT = 1  # the format training writes
CARD_FORMATS = (CARD_FORMAT,)  # card file formats this app reads


def _extra() -> Any:
    """Keys a newer writer added that this schema does not name: kept, never compared."""
    return field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class OnnxInfo:
    file: str
    sha256: str
    opset: int | None = None
    precision: str = ""
    bytes: int | None = None
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class InputSpec:
    height: int
    width: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    resize: str = "area"
    resize_rule: str = ""
    channel_order: str = "RGB"
    layout: str = "NCHW"
    dtype: str = "float32"
    scale: str = "1/255"
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class ValidationScores:
    """Pooled validation images' scores and diagnoses, so the app can show what a clinic's thresholds do."""

    p_mel: tuple[float, ...] = ()
    p_malignant: tuple[float, ...] = ()
    dx: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class ThresholdsSpec:
    urgent: float
    soon: float
    rule: str = ""  # melanoma_first / malignant_sum; older cards put the description here
    description: str = ""
    score: str = ""
    urgent_score: str = ""
    soon_score: str = ""
    validation: dict[str, float | None] = field(default_factory=dict)
    validation_scores: ValidationScores | None = None
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class ClassMetrics:
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    auc: float | None = None
    support: int | None = None
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class ConfusionMatrix:
    labels: tuple[str, ...] = ()
    rows_true_cols_pred: tuple[tuple[int | float, ...], ...] = ()


@dataclass(frozen=True)
class SplitMetrics:
    """One evaluation split (or one image source evaluated on tensors)."""

    n: int | None = None
    accuracy: float | None = None
    balanced_accuracy: float | None = None
    macro_auc: float | None = None
    melanoma_recall: float | None = None
    ece_15_bins_before_temperature: float | None = None
    ece_15_bins_after_temperature: float | None = None
    nll_before_temperature: float | None = None
    nll_after_temperature: float | None = None
    per_class: dict[str, ClassMetrics] = field(default_factory=dict)
    confusion_matrix: ConfusionMatrix | None = None
    referral: dict[str, float | None] = field(default_factory=dict)
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class SourceMetrics:
    """One image source through the app's own path (decode, quality gate, referral), refusals included."""

    label: str = ""
    external: bool = False
    n: int | None = None
    refused_fraction: float | None = None
    accuracy: float | None = None
    balanced_accuracy: float | None = None
    melanoma_recall: float | None = None
    melanoma_auc: float | None = None
    melanoma_vs_nevus_auc: float | None = None
    macro_auc: float | None = None
    ece: float | None = None
    melanoma_referred: float | None = None
    melanoma_urgent: float | None = None
    malignant_referred: float | None = None
    benign_referred: float | None = None
    nevus_referred: float | None = None
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Metrics:
    split: str = ""
    test: SplitMetrics | None = None
    validation: SplitMetrics | None = None
    sources: dict[str, SourceMetrics] = field(default_factory=dict)
    sources_tensor: dict[str, SplitMetrics] = field(default_factory=dict)
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class SplitInfo:
    file: str = ""
    sha256: str = ""
    pool_file: str = ""
    pool_sha256: str = ""
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class TrainingInfo:
    command: str = ""
    seed: int | None = None
    git_commit: str = ""
    best_epoch: int | None = None
    seconds: float | None = None
    torch: str = ""
    recipe: str = ""
    model_selection: str = ""
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class CamCheck:
    fraction: float | None = None
    n: int | None = None
    method: str = ""
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Distillation:
    teacher: str = ""
    kd_temperature: float | None = None
    kd_alpha: float | None = None
    teacher_views: str = ""
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class FeatureGateSpec:
    """The quality gate's second stage: logistic regression on the model's pooled features (graph output
    `output`), P(dermoscopy) = sigmoid(w . (f - mean) / std + b), refused below `min_prob`."""

    output: str
    mean: tuple[float, ...]
    std: tuple[float, ...]
    w: tuple[float, ...]
    b: float
    min_prob: float
    fitted_on: str = ""
    command: str = ""
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class CardFile:
    """The model card file, typed: every field the app uses or shows. Unknown keys land in `extra`."""

    format: int
    name: str
    version: str
    onnx: OnnxInfo
    input: InputSpec
    classes: tuple[ClassInfo, ...]
    malignant_classes: tuple[str, ...]
    thresholds: ThresholdsSpec
    temperature: float = 1.0
    input_name: str = "input"
    output_name: str = "logits"
    outputs: dict[str, str] = field(default_factory=dict)
    architecture: str = ""
    params: int | None = None
    macs: int | None = None
    metrics: Metrics = field(default_factory=Metrics)
    split: SplitInfo | None = None
    training: TrainingInfo = field(default_factory=TrainingInfo)
    training_data: str = ""
    decode_path: str = ""
    license: str = ""
    license_note: str = ""
    citation: str = ""
    disclaimer: str = ""
    confusion_png: str | None = None
    cam_in_lesion_mask: CamCheck | None = None
    distillation: Distillation | None = None
    int8_variant: dict[str, Any] | None = None
    feature_gate: FeatureGateSpec | None = None
    extra: dict[str, Any] = _extra()

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.classes]

    def referral_thresholds(self) -> Thresholds:
        thr = self.thresholds
        kind = thr.rule if thr.rule in RULES else MALIGNANT_SUM
        return Thresholds(thr.urgent, thr.soon, thr.description or thr.rule, kind)

    def preprocess_spec(self) -> PreprocessSpec:
        i = self.input
        return PreprocessSpec(height=i.height, width=i.width, resize=i.resize, channel_order=i.channel_order,
                              mean=tuple(i.mean), std=tuple(i.std))  # type: ignore[arg-type]


def validate_card(raw: Any, label: str = "model card") -> CardFile:
    """Raw JSON -> CardFile, or CardError naming what is wrong. Training validates through this too."""
    try:
        doc = from_json(CardFile, raw, "")
        spec = doc.preprocess_spec()
    except (SchemaError, ValueError, TypeError) as exc:
        raise CardError(f"{label} lacks or garbles a required field: {exc}") from exc
    if doc.format not in CARD_FORMATS:
        raise CardError(f"{label}: card format {doc.format} is not one this app reads ({CARD_FORMATS})")
    if len(spec.mean) != 3 or len(spec.std) != 3:
        raise CardError(f"{label}: mean and std need 3 values")
    codes = doc.codes
    if not codes or len(set(codes)) != len(codes):
        raise CardError(f"{label}: class list is empty or has duplicates")
    unknown = set(doc.malignant_classes) - set(codes)
    if unknown:
        raise CardError(f"{label}: malignant classes {sorted(unknown)} are not model classes")
    if not doc.temperature > 0:
        raise CardError(f"{label}: temperature must be positive")
    thr = doc.referral_thresholds()
    if thr.kind == MELANOMA_FIRST and "mel" not in codes:
        raise CardError(f"{label}: the melanoma-first rule needs a `mel` class")
    if not (0 <= thr.soon <= 1 and 0 <= thr.urgent <= 1) or (thr.kind == MALIGNANT_SUM and thr.soon > thr.urgent):
        raise CardError(f"{label}: thresholds must lie in 0..1 (and soon <= urgent for the malignant-sum rule)")
    fg = doc.feature_gate
    if fg is not None and not (len(fg.mean) == len(fg.std) == len(fg.w) > 0 and 0 <= fg.min_prob <= 1):
        raise CardError(f"{label}: feature_gate vectors disagree in length or min_prob is not in 0..1")
    return doc


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
        if not path.is_file():
            raise ModelMissingError(f"model card not found: {path}")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
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
