"""Strict JSON in and out: no `NaN` / `Infinity`, which Python's json module writes by default but which are
not JSON (RFC 8259), so a strict parser (a browser, jq, another language's reader) refuses the whole file.

Everything the app and training write goes through `dumps` (non-finite numbers become `null`, and
`allow_nan=False` makes a stray one an error instead of invalid output). `loads` reads an older file that
still holds NaN as `null`, so a field that was NaN is simply "not measured" to the schema
(`inference.card_schema`: metric fields are `float | None`).
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite_or_none(obj: Any) -> Any:
    """`obj` with every NaN / +-Infinity float (in nested dicts, lists and tuples) replaced by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_or_none(v) for v in obj]
    if hasattr(obj, "tolist") and hasattr(obj, "dtype"):  # a numpy scalar or array
        return finite_or_none(obj.tolist())
    return obj


def dumps(obj: Any, **kwargs: Any) -> str:
    """`json.dumps` that writes `null` for NaN / Infinity and can never emit them."""
    return json.dumps(finite_or_none(obj), allow_nan=False, **kwargs)


def _constant_as_null(_name: str) -> None:
    return None


def loads(text: str | bytes) -> Any:
    """`json.loads` that reads `NaN` / `Infinity` (older files) as null."""
    return json.loads(text, parse_constant=_constant_as_null)


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads_strict(text: str | bytes) -> Any:
    """`json.loads` that refuses `NaN` / `Infinity` (what a strict parser does); ValueError."""
    return json.loads(text, parse_constant=_refuse)
