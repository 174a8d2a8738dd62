"""What one scanned image becomes in a scan output, for both engines (local and Ray).

A row is the scan CSV's columns (`inference.result.csv_columns`) plus `model`, `model_version`, `policy`,
`sha256` (the image's content hash) and `model_binding` (shipped or a custom model).
:class:`RowWorker` is the per-image work (the one batch runner:
decode, quality gate, model, policy) used by the local engine (`cases.resume`) and by every Ray actor
(`cases.cluster`), so the two engines produce the same rows. :class:`Manifest` is what a set of rows was
made with (model, weights, gate, policy); a resumed scan must match it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass

from inference.errors import ImageError
from inference.files import file_sha256
from inference.quality import GATE_FILE
from inference.referral import Thresholds
from inference.resources import assets_dir
from inference.result import Result, csv_columns
from inference.runner import BatchRunner
from inference.session import Model

# `model_binding` (issue 23) is last so that it appends to the contract: shipped / custom-bound /
# custom-unbound (inference/shipped.py), on every row, so no output of a custom model passes for ours.
EXTRA_COLUMNS = ["model", "model_version", "policy", "sha256", "model_binding"]

Row = dict[str, str]


def output_columns(codes: Sequence[str]) -> list[str]:
    """The scan CSV's columns, then what produced the row (the same columns in Parquet)."""
    return [*csv_columns(codes), *EXTRA_COLUMNS]


def policy_label(thr: Thresholds) -> str:
    """The triage policy in force, as written on every row (rule and both cut-offs)."""
    return f"{thr.kind} urgent>={thr.urgent:.4f} soon>={thr.soon:.4f}"


def gate_sha256() -> str:
    try:
        return hashlib.sha256((assets_dir() / GATE_FILE).read_bytes()).hexdigest()
    except OSError:
        return ""


def still_done(path: str, sha256: str) -> bool:
    """True when the file still has the content hash its journalled row was made from."""
    if not sha256:
        return False
    try:
        return file_sha256(path) == sha256
    except (ImageError, OSError):
        return False


class RowWorker:
    """Paths -> output rows with one model session and the one batch runner (decode, gate, model, policy)."""

    def __init__(self, model: Model, batch_size: int = 32, decode_threads: int = 2) -> None:
        self.model = model
        self.codes = model.card.codes
        self.policy = policy_label(model.card.thresholds)
        self.runner = BatchRunner(model, batch_size=batch_size, decode_threads=decode_threads)

    def row(self, res: Result) -> Row:
        row = res.csv_row(self.codes)
        row.update(model=self.model.name, model_version=self.model.version, policy=self.policy,
                   sha256=res.sha256 or "", model_binding=self.model.binding_status)
        return row

    def rows(self, paths: Sequence[str], expect: Sequence[str] = ()) -> Iterator[tuple[str, Row | None]]:
        """(path, row) for every path; row is None where `expect` gives the content hash of a journalled
        row and the file still has it (that row stands). Order: skipped ones first, then the runner's."""
        expect = list(expect) or [""] * len(paths)
        todo = []
        for p, sha in zip(paths, expect, strict=True):
            if sha and still_done(p, sha):
                yield p, None
            else:
                todo.append(p)
        for res in self.runner.run(todo):
            yield res.path, self.row(res)


@dataclass(frozen=True)
class Manifest:
    """What the rows of one output are made with; a resumed run must match it exactly."""

    model: str
    model_version: str
    onnx_sha256: str
    gate_sha256: str
    policy: str
    columns: tuple[str, ...]
    format: int = 1

    @classmethod
    def for_model(cls, model: Model) -> Manifest:
        return cls(model.name, model.version, model.card.onnx_sha256, gate_sha256(),
                   policy_label(model.card.thresholds), tuple(output_columns(model.card.codes)))

    def differences(self, other: Manifest) -> list[str]:
        names = {"model": "model", "model_version": "model version", "onnx_sha256": "model weights (sha256)",
                 "gate_sha256": "quality gate (sha256)", "policy": "triage policy", "columns": "columns",
                 "format": "journal format"}
        mine, theirs = asdict(self), asdict(other)
        return [f"{names[k]}: {theirs[k]!s:.80} then, {mine[k]!s:.80} now" for k in names if mine[k] != theirs[k]]
