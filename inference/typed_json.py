"""JSON -> frozen dataclasses, checked against their type hints (the model card's schema uses this).

Supports the types a card needs: str, int, float (ints accepted), bool, Any, `X | None`, `tuple[X, ...]`,
`dict[str, X]` and nested dataclasses. A field may name its JSON key with `field(metadata={"json": ...})`;
a dataclass with an `extra` field keeps the keys it does not declare there (so a newer writer's additions
survive), any other dataclass refuses them.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Union


class SchemaError(ValueError):
    """A JSON value does not fit the schema; the message names the path (`thresholds.urgent`)."""


def from_json(tp: Any, value: Any, where: str = "") -> Any:  # noqa: C901 - one branch per supported type
    """`value` (parsed JSON) as an instance of `tp`, or SchemaError."""
    if tp is Any:
        return value
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType):
        if value is None:
            if type(None) in args:
                return None
            raise SchemaError(f"{where}: must not be null")
        problems = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return from_json(arg, value, where)
            except SchemaError as exc:
                problems.append(str(exc))
        raise SchemaError("; ".join(problems))
    if dataclasses.is_dataclass(tp):
        return _dataclass(tp, value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise SchemaError(f"{where}: expected a list, got {type(value).__name__}")
        return tuple(from_json(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise SchemaError(f"{where}: expected an object, got {type(value).__name__}")
        return {str(k): from_json(args[1], v, f"{where}.{k}") for k, v in value.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SchemaError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise SchemaError(f"{where}: expected {tp.__name__}, got {value!r}")
        return value
    raise TypeError(f"{where}: unsupported schema type {tp!r}")


def _dataclass(tp: Any, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise SchemaError(f"{where}: expected an object, got {type(value).__name__}")
    hints = typing.get_type_hints(tp)
    kwargs: dict[str, Any] = {}
    known = set()
    keeps_extra = False
    for f in dataclasses.fields(tp):
        if f.name == "extra":
            keeps_extra = True
            continue
        key = f.metadata.get("json", f.name)
        known.add(key)
        path = f"{where}.{key}" if where else key
        if key in value:
            kwargs[f.name] = from_json(hints[f.name], value[key], path)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise SchemaError(f"{path}: required field missing")
    unknown = {k: v for k, v in value.items() if k not in known}
    if keeps_extra:
        kwargs["extra"] = unknown
    elif unknown:
        raise SchemaError(f"{where}: unknown field(s) {sorted(unknown)}")
    return tp(**kwargs)
