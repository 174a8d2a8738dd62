"""The model card file, typed: the schema training writes through and the app reads through.

`validate_card` turns the JSON into a `CardFile` or a CardError that names what is wrong; unknown keys
are kept in `extra`, so a newer card still loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inference.errors import CardError
from inference.preprocess import PreprocessSpec
from inference.referral import MALIGNANT_SUM, MELANOMA_FIRST, RULES, Thresholds
from inference.typed_json import SchemaError, from_json


@dataclass(frozen=True)
class ClassInfo:
    code: str
    name: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


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
