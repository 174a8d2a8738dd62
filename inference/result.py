"""What one image becomes: a Result, whatever happened to it on the way."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("ok", "rejected", "error")

# Leading columns of the scan CSV and of the GUI's CSV export (one contract for both).
CSV_COLUMNS = [
    "path", "status", "top_class", "priority",
    "p_akiec", "p_bcc", "p_bkl", "p_df", "p_mel", "p_nv", "p_vasc",
    "decode_ms", "preprocess_ms", "inference_ms", "message",
]


@dataclass
class Result:
    path: str
    status: str  # ok / rejected / error
    message: str = ""
    probabilities: dict[str, float] | None = None  # class code -> calibrated probability, only when ok
    top_class: str | None = None
    top_name: str | None = None
    malignant_score: float | None = None
    priority: str | None = None  # urgent / soon / routine, only when ok
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

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def csv_row(self) -> dict[str, Any]:
        """The scan command's leading columns; probabilities are empty unless status is ok."""
        row: dict[str, Any] = {"path": self.path, "status": self.status, "top_class": self.top_class or "",
                               "priority": self.priority or "", "message": self.message}
        for code in ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"):
            p = (self.probabilities or {}).get(code) if self.ok else None
            row[f"p_{code}"] = "" if p is None else f"{p:.6f}"
        for k in ("decode_ms", "preprocess_ms", "inference_ms"):
            v = getattr(self, k)
            row[k] = "" if v is None else f"{v:.3f}"
        return {k: row[k] for k in CSV_COLUMNS}
