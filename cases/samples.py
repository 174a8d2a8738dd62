"""Bundled sample cases (a handful of HAM10000 images with attribution) for a first start.

They are read from the install folder through `inference.resources`, so they work frozen too; the app
only reads them, like any other image. A missing or broken index simply disables the action.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cases.job import ScanItem
from inference.resources import samples_dir

INDEX = "samples.json"


@dataclass(frozen=True)
class Sample:
    path: Path
    dx: str
    attribution: str


def load_samples(directory: Path | None = None) -> tuple[list[Sample], str]:
    """(samples, "") or ([], why they are unavailable) — the reason becomes the action's tooltip."""
    d = directory or samples_dir()
    index = d / INDEX
    if not index.is_file():
        return [], "No sample cases are bundled with this installation."
    try:
        raw = json.loads(index.read_text(encoding="utf-8"))
        entries = raw.get("samples", []) if isinstance(raw, dict) else raw
        common = _common_attribution(raw) if isinstance(raw, dict) else ""
        samples = [Sample(d / str(e["file"]), str(e.get("dx", "")), str(e.get("attribution") or common))
                   for e in entries]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return [], f"The sample index {INDEX} is unreadable: {exc}"
    samples = [s for s in samples if s.path.is_file()]
    if not samples:
        return [], "The bundled sample images are missing."
    return samples, ""


def _common_attribution(raw: dict) -> str:
    """The index's top-level attribution, licence and citation, as one line for notes and About."""
    parts = [str(raw[k]) for k in ("attribution", "license", "citation") if raw.get(k)]
    return ". ".join(p.rstrip(".") for p in parts) + ("." if parts else "")


def sample_items(samples: list[Sample], class_names: dict[str, str]) -> list[ScanItem]:
    """Scan items with readable IDs and the ground truth and attribution in the note."""
    items = []
    for i, s in enumerate(samples, 1):
        truth = class_names.get(s.dx, s.dx) if s.dx else "unknown"
        note = f"Bundled HAM10000 sample. Reference diagnosis: {truth}."
        if s.attribution:
            note += f"\n{s.attribution}"
        items.append(ScanItem(str(s.path.resolve()), f"Sample {i:02d}", note=note))
    return items


def attribution_text(samples: list[Sample]) -> str:
    return "; ".join(sorted({s.attribution for s in samples if s.attribution}))
