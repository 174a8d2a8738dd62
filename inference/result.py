"""What one image becomes: a Result, whatever happened to it on the way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from inference.paths import display_path
from inference.vocab import Priority, Status

TIMING_COLUMNS = ["decode_ms", "preprocess_ms", "inference_ms"]


def csv_columns(codes: Sequence[str]) -> list[str]:
    """Leading columns of the scan CSV and of the GUI's CSV export (one contract for both): one
    probability column per class of the model card, in the card's order."""
    return ["path", "status", "top_class", "priority", *(f"p_{c}" for c in codes), *TIMING_COLUMNS, "message"]


@dataclass
class Result:
    path: str
    status: Status
    message: str = ""
    probabilities: dict[str, float] | None = None  # class code -> calibrated probability, only when ok
    top_class: str | None = None
    top_name: str | None = None
    malignant_score: float | None = None
    priority: Priority | None = None  # only when ok
    priority_rule: str = ""
    quality: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    model_name: str = ""
    model_version: str = ""
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    decode_ms: float | None = None
    preprocess_ms: float | None = None
    inference_ms: float | None = None
    # The predicted class's activation map (rows x cols spanning the whole image), when the model has one:
    # where the evidence for the top class lay. Not a segmentation, and absent for models without `cam`.
    attention: list[list[float]] | None = None
    device: str = ""  # EXIF make and model of the camera or dermatoscope, when the file names it

    @property
    def ok(self) -> bool:
        return self.status == Status.OK

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def csv_row(self, codes: Sequence[str]) -> dict[str, Any]:
        """The scan command's leading columns for the card's class `codes`; probabilities are empty unless
        status is ok. A path that is not valid UTF-8 is written with `\\xNN` escapes (inference.paths)."""
        row: dict[str, Any] = {"path": display_path(self.path, escape=True), "status": str(self.status),
                               "top_class": self.top_class or "",
                               "priority": str(self.priority or ""), "message": self.message}
        for code in codes:
            p = (self.probabilities or {}).get(code) if self.ok else None
            row[f"p_{code}"] = "" if p is None else f"{p:.6f}"
        for k in TIMING_COLUMNS:
            v = getattr(self, k)
            row[k] = "" if v is None else f"{v:.3f}"
        return {k: row[k] for k in csv_columns(codes)}
